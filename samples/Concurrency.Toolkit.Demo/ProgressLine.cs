namespace Concurrency.Toolkit.Demo;

/// <summary>
/// Rewrites one console line with a map call's progress. Reports arrive on the consumer's thread, in order, so
/// this writes directly instead of posting like <see cref="Progress{T}"/> does.
/// </summary>
public sealed class ProgressLine(string label, long total) : IProgress<MapProgress>
{
    private readonly bool _interactive = !Console.IsOutputRedirected;
    private int _width;

    public void Report(MapProgress value)
    {
        if (!_interactive)
        {
            return;
        }

        var line = $"  {label}: {value.Completed,7:N0} / {total:N0} done, {value.InFlight,5:N0} in flight, {value.Elapsed.TotalSeconds,5:F1} s";
        _width = Math.Max(_width, line.Length);
        Console.Write("\r" + line.PadRight(_width));
    }

    public void Finish()
    {
        if (_interactive && _width > 0)
        {
            Console.Write("\r" + new string(' ', _width) + "\r");
        }
    }
}
