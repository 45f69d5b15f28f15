using System.Globalization;

namespace Concurrency.Toolkit.Classification;

/// <summary>Formats the figures that reasons and profile summaries carry, the same way everywhere and in the invariant culture.</summary>
internal static class Figures
{
    public static string Percent(double share)
        => share is > 0 and < 0.01
            ? string.Create(CultureInfo.InvariantCulture, $"{share * 100:0.0}%")
            : string.Create(CultureInfo.InvariantCulture, $"{share * 100:0}%");

    public static string Speedup(double speedup, int threads)
        => string.Create(CultureInfo.InvariantCulture, $"{speedup:0.00}× on {threads} {(threads == 1 ? "thread" : "threads")}");

    public static string Duration(TimeSpan d)
        => d.TotalSeconds >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds:0.##} s")
         : d.TotalMilliseconds >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{d.TotalMilliseconds:0.#} ms")
         : string.Create(CultureInfo.InvariantCulture, $"{d.TotalMicroseconds:0.#} µs");

    public static string Bytes(long bytes)
        => bytes >= 1 << 20 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):0.#} MB")
         : bytes >= 1 << 10 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB")
         : string.Create(CultureInfo.InvariantCulture, $"{bytes} B");

    public static string Count(int n, string one, string many)
        => string.Create(CultureInfo.InvariantCulture, $"{n} {(n == 1 ? one : many)}");
}
