namespace Concurrency.Toolkit.Samples;

/// <summary>Prints the times of a sample's runs side by side, with the speed-up against the first row.</summary>
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
        var baseline = _rows.Count > 0 ? _rows[0].Time : TimeSpan.Zero;
        foreach (var (scenario, strategy, items, time, note) in _rows)
        {
            var perSecond = items / Math.Max(time.TotalSeconds, 1e-6);
            var speedUp = baseline.TotalSeconds / Math.Max(time.TotalSeconds, 1e-6);
            Console.WriteLine($"| {scenario,-24} | {strategy,-34} | {items,6} | {time.TotalMilliseconds,6:0} ms | {perSecond,8:0} | {speedUp,7:0.00}x | {note}");
        }
    }
}
