using System.Globalization;
using System.Net;
using System.Text;

namespace Concurrency.Toolkit.Samples.Demo;

/// <summary>The demo's results as a Markdown table (printed and written to a file) and a hand-written SVG bar chart.</summary>
internal static class Report
{
    public const string SpeedUpNote =
        "Speed-up: the slowest strategy's time for the same workload divided by this one's (the slowest is 1.00x). "
        + "* marks the strategy the classifier recommended, which ran with the width it recommended; "
        + "the others ran as registered (ThreadPool: one thread per core; Coroutine: 100 in flight; Process: one worker per core).";

    private static readonly ExecutionStrategyKind[] Kinds = [ExecutionStrategyKind.ThreadPool, ExecutionStrategyKind.Coroutine, ExecutionStrategyKind.Process];

    public static string Table(IReadOnlyList<WorkloadResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| workload | recommended | ThreadPool | Coroutine | Process | fastest |");
        text.AppendLine("|---|---|---:|---:|---:|---|");
        foreach (var result in results)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {result.Workload.Name} | {result.Recommendation.Strategy} ({result.Recommendation.MaxDegreeOfParallelism}{(result.Recommendation.UseDedicatedThreads ? ", dedicated" : "")}) |");
            foreach (var kind in Kinds)
            {
                var run = result.Runs.Single(r => r.Kind == kind);
                var mark = kind == result.Recommendation.Strategy ? "*" : "";
                var failed = run.Failed > 0 ? $", {run.Failed} failed" : "";
                text.Append(CultureInfo.InvariantCulture, $" {mark}{run.Time.TotalSeconds:0.00} s ({result.SpeedUp(run):0.00}x{failed}) |");
            }

            text.AppendLine(CultureInfo.InvariantCulture, $" {result.Fastest.Kind} |");
        }

        return text.ToString();
    }

    /// <summary>How often the classifier's choice was the fastest, or close to it: the point of the demo, stated with its figure.</summary>
    public static string Verdict(IReadOnlyList<WorkloadResult> results)
    {
        var close = results.Count(r => r.Runs.Single(run => run.Kind == r.Recommendation.Strategy).Time <= r.Fastest.Time * 1.1);
        return $"The recommended strategy was the fastest, or within 10% of it, for {close} of {results.Count} workloads.";
    }

    public static string Markdown(IReadOnlyList<WorkloadResult> results, int cores, bool quick)
    {
        var text = new StringBuilder();
        text.AppendLine("# Concurrency.Toolkit demo results");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {cores} cores, .NET {Environment.Version}, {(quick ? "quick run (--quick)" : "default run")}.");
        text.AppendLine();
        text.AppendLine("## What the classifier recommended");
        text.AppendLine();
        foreach (var result in results)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- **{result.Workload.Name}** ({result.Workload.Description}): {result.Recommendation.Strategy}, degree {result.Recommendation.MaxDegreeOfParallelism}. {result.Recommendation.Reason}");
        }

        text.AppendLine();
        text.AppendLine("## Times on each strategy");
        text.AppendLine();
        text.Append(Table(results));
        text.AppendLine();
        text.AppendLine(SpeedUpNote);
        text.AppendLine();
        text.AppendLine(Verdict(results));
        text.AppendLine();
        text.AppendLine("![Times relative to the slowest strategy per workload](results.svg)");
        return text.ToString();
    }

    /// <summary>One group of three horizontal bars per workload; a bar's length is its time over the slowest time of its group.</summary>
    public static string Svg(IReadOnlyList<WorkloadResult> results)
    {
        const int Left = 170, BarMax = 420, BarHeight = 16, Gap = 4, GroupGap = 18, Top = 50, Width = 820;
        string[] colours = ["#4e79a7", "#59a14f", "#e15759"];
        var height = Top + (results.Count * ((Kinds.Length * (BarHeight + Gap)) + GroupGap)) + 20;
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"  <rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine("  <text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Time per strategy, relative to the slowest for each workload (shorter is faster)</text>");
        for (var k = 0; k < Kinds.Length; k++)
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"  <rect x=\"{10 + (k * 120)}\" y=\"30\" width=\"12\" height=\"12\" fill=\"{colours[k]}\"/><text x=\"{26 + (k * 120)}\" y=\"40\">{Kinds[k]}</text>");
        }

        var y = Top;
        foreach (var result in results)
        {
            var groupHeight = Kinds.Length * (BarHeight + Gap);
            svg.AppendLine(CultureInfo.InvariantCulture, $"  <text x=\"10\" y=\"{y + (groupHeight / 2) + 4}\" font-weight=\"bold\">{WebUtility.HtmlEncode(result.Workload.Name)}</text>");
            for (var k = 0; k < Kinds.Length; k++)
            {
                var run = result.Runs.Single(r => r.Kind == Kinds[k]);
                var length = Math.Max(1, BarMax * (run.Time / result.Slowest));
                var mark = Kinds[k] == result.Recommendation.Strategy ? " (recommended)" : "";
                svg.AppendLine(CultureInfo.InvariantCulture, $"  <rect x=\"{Left}\" y=\"{y}\" width=\"{length:0.0}\" height=\"{BarHeight}\" fill=\"{colours[k]}\"/>");
                svg.AppendLine(CultureInfo.InvariantCulture, $"  <text x=\"{Left + length + 6:0.0}\" y=\"{y + BarHeight - 4}\">{run.Time.TotalSeconds:0.00} s, {result.SpeedUp(run):0.00}x{mark}</text>");
                y += BarHeight + Gap;
            }

            y += GroupGap;
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
