using System.Globalization;

namespace Concurrency.Toolkit;

/// <summary>
/// The one place option bounds are checked, for every options class of the library: each check throws an
/// <see cref="ArgumentOutOfRangeException"/> whose message names the option, its allowed range and what it was,
/// the same sentence whether the strategy is built with <c>new</c> or validated on a host's start.
/// </summary>
/// <remarks>
/// Polly puts <c>[Range]</c> attributes on its options and checks them with one validation helper. These options
/// also need ranges that attributes cannot say (<see cref="Timeout.InfiniteTimeSpan"/> or <see langword="null"/> as
/// "no limit", a hint of what the option is for), so the checks are methods, called from each class's <c>Validate</c>.
/// </remarks>
internal static class OptionRules
{
    /// <summary>
    /// The most items one strategy may run at once. The lane gate and the look-ahead derived from the degree are
    /// <see cref="int"/> arithmetic, safe far above this; nothing useful runs a million items at once on one host.
    /// </summary>
    public const int MaxDegree = 1_000_000;

    /// <summary>The most worker processes one pool may run; also the most cores the classifier sizes for.</summary>
    public const int MaxWorkers = 4096;

    /// <summary>
    /// The longest duration any option takes: .NET timers (<see cref="Task.Delay(TimeSpan)"/>,
    /// <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/>, <see cref="ITimer"/>) accept at most
    /// <see cref="uint.MaxValue"/> - 1 milliseconds, about 49.7 days.
    /// </summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>Requires <paramref name="minimum"/> &lt;= <paramref name="value"/> &lt;= <paramref name="maximum"/>.</summary>
    public static void Range(int value, int minimum, int maximum, string owner, string option, string hint)
    {
        if (value < minimum || value > maximum)
        {
            throw Fail(option, value, owner, IntRange(minimum, maximum), Show(value), hint);
        }
    }

    /// <summary>Requires <paramref name="value"/> in range, or <see langword="null"/>, which means <paramref name="nullMeans"/>.</summary>
    public static void Range(int? value, int minimum, int maximum, string owner, string option, string nullMeans)
    {
        if (value is { } v && (v < minimum || v > maximum))
        {
            throw Fail(option, v, owner, $"{IntRange(minimum, maximum)}, or null {nullMeans}", Show(v), hint: null);
        }
    }

    /// <summary>Requires <paramref name="value"/> at least <paramref name="minimum"/>, or <see langword="null"/>, which means <paramref name="nullMeans"/>.</summary>
    public static void AtLeast(long? value, long minimum, string owner, string option, string nullMeans)
    {
        if (value is { } v && v < minimum)
        {
            throw Fail(option, v, owner, $"at least {minimum.ToString("N0", CultureInfo.InvariantCulture)}, or null {nullMeans}", v.ToString("N0", CultureInfo.InvariantCulture), hint: null);
        }
    }

    /// <summary>Requires <paramref name="minimum"/> &lt;= <paramref name="value"/> &lt;= <paramref name="maximum"/> (NaN fails).</summary>
    public static void Range(double value, double minimum, double maximum, string owner, string option, string hint)
    {
        if (!(value >= minimum && value <= maximum))
        {
            throw Fail(option, value, owner, $"between {minimum.ToString(CultureInfo.InvariantCulture)} and {maximum.ToString(CultureInfo.InvariantCulture)}", value.ToString(CultureInfo.InvariantCulture), hint);
        }
    }

    /// <summary>
    /// Requires a duration above zero (or zero too, with <paramref name="allowZero"/>) and at most <see cref="MaxDuration"/>;
    /// <see cref="Timeout.InfiniteTimeSpan"/> passes when <paramref name="infiniteMeans"/> says what it means, and
    /// <see langword="null"/> when <paramref name="nullMeans"/> does.
    /// </summary>
    public static void Duration(TimeSpan? value, bool allowZero, string owner, string option, string hint, string? infiniteMeans = null, string? nullMeans = null)
    {
        if (value is not { } v)
        {
            if (nullMeans is null)
            {
                throw new ArgumentNullException(option, $"{owner}.{option} must not be null; {hint}");
            }

            return;
        }

        if (v == Timeout.InfiniteTimeSpan && infiniteMeans is not null)
        {
            return;
        }

        if ((allowZero ? v >= TimeSpan.Zero : v > TimeSpan.Zero) && v <= MaxDuration)
        {
            return;
        }

        var range = (allowZero ? "between zero and " : "above zero and at most ") + $"{MaxDuration} (about 49.7 days, the longest .NET timers accept)";
        if (infiniteMeans is not null)
        {
            range += $", or Timeout.InfiniteTimeSpan {infiniteMeans}";
        }

        if (nullMeans is not null)
        {
            range += $", or null {nullMeans}";
        }

        throw Fail(option, v, owner, range, v.ToString(), hint);
    }

    private static ArgumentOutOfRangeException Fail(string option, object value, string owner, string range, string shown, string? hint)
        => new(option, value, $"{owner}.{option} must be {range} (it was {shown}){(hint is null ? "." : "; " + hint)}");

    private static string IntRange(int minimum, int maximum) => maximum == int.MaxValue
        ? $"at least {Show(minimum)}"
        : $"between {Show(minimum)} and {Show(maximum)}";

    private static string Show(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
