namespace Concurrency.Toolkit.Samples;

/// <summary>
/// Shows a map call's <see cref="MapProgress"/> on one console line. It implements <see cref="IProgress{T}"/>
/// directly rather than using <see cref="Progress{T}"/>, which would post every report to the thread pool:
/// exactly the resource a sample may be starving on purpose.
/// </summary>
internal sealed class ConsoleProgress(string label, long total) : IProgress<MapProgress>
{
    private readonly Lock _gate = new();
    private readonly bool _live = !Console.IsOutputRedirected;
    private bool _done;

    public void Report(MapProgress value)
    {
        lock (_gate)
        {
            // When the output goes to a file or a test, one line at the end is worth more than a hundred redraws.
            var finished = value.Completed >= total;
            if (_done || (!_live && !finished))
            {
                return;
            }

            _done = finished;
            var line = $"  {label,-34} {Bar(value.Completed, total)} {value.Completed,6}/{total} done, {value.InFlight,4} in flight, {value.Failed} failed, {value.Elapsed.TotalSeconds,5:0.0} s";
            Console.Write(_live ? $"\r{line}" : line);
            if (finished)
            {
                Console.WriteLine();
            }
        }
    }

    private static string Bar(long done, long total)
    {
        const int width = 20;
        var filled = total == 0 ? width : (int)(width * done / total);
        return $"[{new string('#', filled)}{new string('.', width - filled)}]";
    }
}
