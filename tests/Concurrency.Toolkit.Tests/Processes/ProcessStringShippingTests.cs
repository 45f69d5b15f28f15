using System.Text;
using Concurrency.Toolkit.Processes.Protocol;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// Strings cross a map as their UTF-8 bytes, counted first and then encoded straight into the frame that carries them:
/// every kind of string comes back as it went, and one that cannot cross fails alone.
/// </summary>
public class ProcessStringShippingTests
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(120);

    /// <summary>Short, long, empty, null, non-ASCII, surrogate pairs, control characters, and one large enough that its frame goes through shared memory.</summary>
    private static readonly string?[] Kinds =
    [
        "a",
        string.Empty,
        null,
        "ünïcödé ✓ \"quoted\" \\ \n",
        "😀 pairs 𝄞 and \u0000 nul",
        new string('x', 300),
        "日本語のテキスト",
        string.Concat(Enumerable.Repeat("€😀", 100)),
    ];

    [Fact]
    public async Task MapAsync_MixedStrings_EachComesBackAsItWent()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2 });
        var inputs = Enumerable.Range(0, 5000).Select(i => Kinds[i % Kinds.Length]).ToList();
        inputs.Insert(2500, new string('ß', SharedFrames.Threshold));

        using var cts = new CancellationTokenSource(SafetyNet);
        var echoed = new List<string?>();
        await foreach (var r in s.MapAsync(inputs, static (string? x) => x, cancellationToken: cts.Token))
        {
            echoed.Add(r);
        }

        var lengths = new List<int>();
        await foreach (var r in s.MapAsync(inputs, static (string? x) => x is null ? -1 : Encoding.UTF8.GetByteCount(x), cancellationToken: cts.Token))
        {
            lengths.Add(r);
        }

        Assert.Equal(inputs, echoed);
        Assert.Equal(inputs.Select(x => x is null ? -1 : Encoding.UTF8.GetByteCount(x)), lengths);
    }

    [Fact]
    public async Task MapAsync_LoneSurrogates_OnlyThoseItemsFail()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        string[] inputs = ["a", "\uD800", "b😀", "x\uDC00y", string.Empty];

        var byIndex = await Outcomes(s, inputs);

        Assert.Equal(1, byIndex[0].Result);
        Assert.Contains("could not be serialized", Assert.IsType<WorkSerializationException>(byIndex[1].Exception).Message, StringComparison.Ordinal);
        Assert.Equal(3, byIndex[2].Result);
        Assert.IsType<WorkSerializationException>(byIndex[3].Exception);
        Assert.Equal(0, byIndex[4].Result);
    }

    [Fact]
    public async Task MapAsync_StringOverTheCapInUtf8_OnlyThatItemFails()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, MaxMessageBytes = 1024 * 1024 });

        // 400,000 characters fit the cap as characters, not as UTF-8 (3 bytes each).
        string[] inputs = [new string('a', 600 * 1024), new string('€', 400 * 1000), new string('b', 700 * 1024)];

        var byIndex = await Outcomes(s, inputs);

        Assert.Equal(600 * 1024, byIndex[0].Result);
        var error = Assert.IsType<WorkSerializationException>(byIndex[1].Exception);
        Assert.Contains("MaxMessageBytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(700 * 1024, byIndex[2].Result);
    }

    [Fact]
    public async Task MapAsync_LoneSurrogateInsideARecordOrAResult_FailsItsItemInsteadOfArrivingChanged()
    {
        // A string inside a collection takes the JSON path, whose writer would have put U+FFFD in its place.
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        using var cts = new CancellationTokenSource(SafetyNet);
        Tagged[] inputs = [new(["a", "b"]), new(["ok", "cut\uD83D"]), new(["😀"])];

        var outcomes = new List<WorkOutcome<Tagged, string>>();
        await foreach (var o in s.MapUnorderedAsync(inputs, static (Tagged t) => string.Join("|", t.Tags), cancellationToken: cts.Token))
        {
            outcomes.Add(o);
        }

        var byIndex = outcomes.OrderBy(o => o.Index).ToArray();
        Assert.Equal("a|b", byIndex[0].Result);
        Assert.Contains("lone UTF-16 surrogate", Assert.IsType<WorkSerializationException>(byIndex[1].Exception).Message, StringComparison.Ordinal);
        Assert.Equal("😀", byIndex[2].Result);

        // The other way: a result made in the worker.
        var results = new List<WorkOutcome<int, List<string>>>();
        await foreach (var o in s.MapUnorderedAsync([0, 1], static (int cut) => new List<string> { "😀".Substring(0, cut == 1 ? 1 : 2) }, cancellationToken: cts.Token))
        {
            results.Add(o);
        }

        var results2 = results.OrderBy(o => o.Index).ToArray();
        Assert.Equal(["😀"], results2[0].Result);
        Assert.Contains("lone UTF-16 surrogate", Assert.IsAssignableFrom<Exception>(results2[1].Exception).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapAsync_StackInput_RefusedBeforeAnyInputIsRead()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var read = 0;
        IEnumerable<Stack<int>> Inputs()
        {
            read++;
            yield return new Stack<int>([1, 2, 3]);
        }

        var ex = await Assert.ThrowsAsync<WorkSerializationException>(async () =>
        {
            await foreach (var _ in s.MapAsync(Inputs(), static (Stack<int> x) => x.Peek()))
            {
            }
        });

        Assert.Contains("reversed", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, read);
    }

    public sealed record Tagged(string[] Tags);

    private static async Task<WorkOutcome<string, int>[]> Outcomes(ProcessStrategy s, string[] inputs)
    {
        using var cts = new CancellationTokenSource(SafetyNet);
        var outcomes = new List<WorkOutcome<string, int>>();
        await foreach (var outcome in s.MapUnorderedAsync(inputs, static (string x) => x.Length, cancellationToken: cts.Token))
        {
            outcomes.Add(outcome);
        }

        Assert.Equal(inputs.Length, outcomes.Count);
        return [.. outcomes.OrderBy(o => o.Index)];
    }
}
