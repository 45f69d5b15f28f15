namespace Concurrency.Toolkit.Samples;

/// <summary>Prints the times of a sample's runs side by side, with each one's throughput against the first row's.</summary>
internal sealed class ResultTable(string title)
{
    private readonly List<(string Scenario, string Strategy, int Items, TimeSpan Time, string Note)> _rows = [];

    public void Add(string scenario, string strategy, int items, TimeSpan time, string note = "") => _rows.Add((scenario, strategy, items, time, note));

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine(title);
        Console.WriteLine($"| {"scenario",-24} | {"strategy",-34} | {"items",6} | {"time",9} | {"items/s",8} | {"vs first",8} | note");
        Console.WriteLine($"|{new string('-', 26)}|{new string('-', 36)}|{new string('-', 8)}|{new string('-', 11)}|{new string('-', 10)}|{new string('-', 10)}|------");
        // Rows may differ in item counts, so they compare by throughput.
        var baseline = _rows.Count > 0 ? PerSecond(_rows[0].Items, _rows[0].Time) : 0;
        foreach (var (scenario, strategy, items, time, note) in _rows)
        {
            var perSecond = PerSecond(items, time);
            var speedUp = baseline > 0 ? perSecond / baseline : 0;
            Console.WriteLine($"| {scenario,-24} | {strategy,-34} | {items,6} | {time.TotalMilliseconds,6:0} ms | {perSecond,8:0} | {speedUp,7:0.00}x | {note}");
        }
    }

    private static double PerSecond(int items, TimeSpan time) => items / Math.Max(time.TotalSeconds, 1e-6);
}
