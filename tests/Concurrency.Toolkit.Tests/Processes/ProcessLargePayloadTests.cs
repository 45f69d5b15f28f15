using Concurrency.Toolkit.Processes.Protocol;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>One pool of two workers shared by the large-payload tests: they test what crosses, not how workers start.</summary>
public sealed class LargePayloadFixture : IAsyncLifetime
{
    public ProcessStrategy Strategy { get; } = new(new ProcessStrategyOptions { WorkerCount = 2 });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Strategy.DisposeAsync();
}

/// <summary>
/// Large values cross intact both ways, whichever way their frame goes: a buffer of its own on the socket below the
/// shared-memory threshold, the worker's shared segment above it (on Linux), the large inputs written from the caller's
/// arrays straight into the frame. Sizes are chosen around the threshold of a frame's body.
/// </summary>
public class ProcessLargePayloadTests(LargePayloadFixture fixture) : IClassFixture<LargePayloadFixture>
{
    /// <summary>What a batch frame of one byte[] input adds to the blob: the batch's ids and count, the item's length, the presence byte, and the frame's type.</summary>
    private const int OneBlobFrameOverhead = 1 + 12 + 4 + 1;

    /// <summary>What a results frame body of one byte[] result adds to the blob: the batch id, first index and count, the result's length, and the presence byte.</summary>
    private const int OneResultFrameOverhead = 12 + 4 + 1;

    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(120);

    private ProcessStrategy S => fixture.Strategy;

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4 * 1024 * 1024)]
    public async Task RunAndMapAsync_BlobAroundTheSharedThreshold_ArrivesAndReturnsIntact(int overThreshold)
    {
        var blob = Blob(SharedFrames.Threshold - OneBlobFrameOverhead + overThreshold, seed: overThreshold);

        Assert.Equal(Checksum(blob), await S.RunAsync(static (byte[] b) => Checksum(b), blob).AsTask().WaitAsync(SafetyNet));
        Assert.Equal(blob, await S.RunAsync(static (byte[] b) => b, blob).AsTask().WaitAsync(SafetyNet));
        Assert.Equal([Checksum(blob), Checksum(blob)], await Map([blob, blob], static (byte[] b) => Checksum(b)));
    }

    [Fact]
    public async Task MapAsync_ManyLargeAndSmallBlobsInOneBatch_EachArrivesInOrder()
    {
        // Null, empty, tiny and large inputs mixed: the frames that carry them are large, so they go through the segments.
        var inputs = Enumerable.Range(0, 40)
            .Select(i => (i % 5) switch { 0 => null, 1 => [], 2 => Blob(10, i), 3 => Blob(SharedFrames.Threshold + i, i), _ => Blob(700 * 1024, i) })
            .ToArray();

        var sums = await Map(inputs, static (byte[]? b) => b is null ? -1 : Checksum(b));
        Assert.Equal(inputs.Select(b => b is null ? -1 : Checksum(b)), sums);

        var echoed = await Map(inputs, static (byte[]? b) => b);
        Assert.Equal(inputs, echoed);
    }

    [Fact]
    public async Task MapAsync_LargeReadOnlyMemorySlices_OnlyTheSliceCrosses()
    {
        var backing = Blob(3 * 1024 * 1024, seed: 7);
        var inputs = new[]
        {
            new ReadOnlyMemory<byte>(backing, 1, SharedFrames.Threshold + 3),
            new ReadOnlyMemory<byte>(backing, 1024 * 1024, 2 * 1024 * 1024),
            ReadOnlyMemory<byte>.Empty,
            new ReadOnlyMemory<byte>(backing, 5, 5),
        };

        var echoed = await Map(inputs, static (ReadOnlyMemory<byte> m) => m);
        Assert.Equal(inputs.Select(m => m.ToArray()), echoed.Select(m => m.ToArray()));
    }

    [Fact]
    public async Task MapAsync_LargeArraysOfPrimitives_ArriveIntact()
    {
        var inputs = new[] { Doubles(200_000, 1), null, [], Doubles(3, 2), Doubles(40_000, 3) };

        var echoed = await Map(inputs, static (double[]? d) => d);
        Assert.Equal(inputs, echoed);
        Assert.Equal(inputs.Select(d => d?.Sum() ?? -1), await Map(inputs, static (double[]? d) => d?.Sum() ?? -1));
    }

    [Fact]
    public async Task MapAsync_RecordsHoldingLargeArrays_RoundTripBothWays()
    {
        var inputs = Enumerable.Range(0, 12)
            .Select(i => new Document(i, $"doc-{i}", Blob(i % 3 == 0 ? 600 * 1024 : 100, i), Doubles(i % 2 == 0 ? 50_000 : 2, i)))
            .ToArray();

        var results = await Map(inputs, static (Document d) => d with { Id = d.Id + 1, Data = [.. d.Data.Reverse()] });

        Assert.Equal(inputs.Length, results.Count);
        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(inputs[i].Id + 1, results[i].Id);
            Assert.Equal(inputs[i].Name, results[i].Name);
            Assert.Equal(inputs[i].Data.Reverse(), results[i].Data);
            Assert.Equal(inputs[i].Values, results[i].Values);
        }
    }

    [Fact]
    public async Task MapAsync_LargeResults_ComeBackIntact()
    {
        var inputs = Enumerable.Range(0, 10).Select(i => Blob(i % 2 == 0 ? 1024 * 1024 : 3000, i)).ToArray();

        var results = await Map(inputs, static (byte[] b) => Transform(b));

        Assert.Equal(inputs.Select(Transform), results);
    }

    [Fact]
    public async Task MapAsync_InputOverTheCap_OnlyThatItemFails()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, MaxMessageBytes = 1024 * 1024 });
        var inputs = new[] { Blob(600 * 1024, 1), Blob(1024 * 1024, 2), Blob(700 * 1024, 3) };

        using var cts = new CancellationTokenSource(SafetyNet);
        var outcomes = new List<WorkOutcome<byte[], long>>();
        await foreach (var outcome in s.MapUnorderedAsync(inputs, static (byte[] b) => Checksum(b), cancellationToken: cts.Token))
        {
            outcomes.Add(outcome);
        }

        var byIndex = outcomes.OrderBy(o => o.Index).ToArray();
        Assert.Equal(Checksum(inputs[0]), byIndex[0].Result);
        var error = Assert.IsType<WorkSerializationException>(byIndex[1].Exception);
        Assert.Contains("MaxMessageBytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(Checksum(inputs[2]), byIndex[2].Result);
    }

    [Theory]
    [InlineData(SharedFrames.Threshold - 1)]
    [InlineData(SharedFrames.Threshold)]
    [InlineData(SharedFrames.Threshold + 1)]
    [InlineData(5 * 1024 * 1024)]
    public async Task RunAndMapAsync_ResultFrameAroundTheSharedThreshold_ComesBackIntact(int frameBody)
    {
        // A result alone in its frame, whose body is just under, at and just over the threshold above which it goes
        // through the worker's segment, or several MiB.
        var length = frameBody - OneResultFrameOverhead;

        Assert.Equal(Pattern(length), await S.RunAsync(static (int n) => Pattern(n), length).AsTask().WaitAsync(SafetyNet));
        Assert.Equal([Pattern(length), Pattern(length), Pattern(3)], await Map([length, length, 3], static (int n) => Pattern(n)));
    }

    [Fact]
    public async Task MapAsync_SmallAndLargeResultsMixedInOneBatch_EachComesBackInOrder()
    {
        int[] sizes = [-1, 0, 10, 70 * 1024, SharedFrames.Threshold + 1, 3 * 1024 * 1024, 5, 100 * 1024, 100 * 1024, 100 * 1024, 1, 2 * 1024 * 1024, -1];
        var inputs = Enumerable.Range(0, 60).Select(i => sizes[i % sizes.Length]).ToArray();

        using var cts = new CancellationTokenSource(SafetyNet);
        var results = new List<byte[]?>();
        await foreach (var r in S.MapAsync(inputs, static (int n) => n < 0 ? null : Pattern(n), new MapOptions { MaxBatchSize = inputs.Length }, cts.Token))
        {
            results.Add(r);
        }

        Assert.Equal(inputs.Select(n => n < 0 ? null : Pattern(n)), results);
    }

    [Fact]
    public async Task MapAsync_ResultOverTheCap_OnlyThatItemFails()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, MaxMessageBytes = 1024 * 1024 });
        int[] lengths = [600 * 1024, 1024 * 1024, 700 * 1024, 10, 2 * 1024 * 1024, 100 * 1024];

        using var cts = new CancellationTokenSource(SafetyNet);
        var outcomes = new List<WorkOutcome<int, byte[]>>();
        await foreach (var outcome in s.MapUnorderedAsync(lengths, static (int n) => Pattern(n), new MapOptions { MaxBatchSize = lengths.Length }, cts.Token))
        {
            outcomes.Add(outcome);
        }

        var byIndex = outcomes.OrderBy(o => o.Index).ToArray();
        Assert.Equal(lengths.Length, byIndex.Length);
        foreach (var i in (int[])[1, 4])
        {
            var error = Assert.IsType<WorkSerializationException>(byIndex[i].Exception);
            Assert.Contains("MaxMessageBytes", error.Message, StringComparison.Ordinal);
        }

        foreach (var i in (int[])[0, 2, 3, 5])
        {
            Assert.Null(byIndex[i].Exception);
            Assert.Equal(Pattern(lengths[i]), byIndex[i].Result);
        }

        // The worker goes on with large results after the failures.
        Assert.Equal(Pattern(900 * 1024), await s.RunAsync(static (int n) => Pattern(n), 900 * 1024).AsTask().WaitAsync(SafetyNet));
    }

    public static long Checksum(byte[] data)
    {
        long sum = data.Length;
        for (var i = 0; i < data.Length; i += 61)
        {
            sum = (sum * 31) + data[i];
        }

        return sum;
    }

    /// <summary><paramref name="length"/> bytes that differ with their position and the length, so that a shifted, cut or mixed-up result shows.</summary>
    public static byte[] Pattern(int length)
    {
        var result = new byte[length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (byte)((i * 7) + (i >> 8) + length);
        }

        return result;
    }

    /// <summary>A result of the input's size that differs from it in every byte.</summary>
    public static byte[] Transform(byte[] data)
    {
        var result = new byte[data.Length];
        for (var i = 0; i < data.Length; i++)
        {
            result[i] = (byte)(data[i] ^ 0x5A);
        }

        return result;
    }

    private async Task<List<TOut>> Map<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, TOut> work)
    {
        using var cts = new CancellationTokenSource(SafetyNet);
        var results = new List<TOut>();
        await foreach (var r in S.MapAsync(inputs, work, cancellationToken: cts.Token))
        {
            results.Add(r);
        }

        return results;
    }

    private static byte[] Blob(int length, int seed)
    {
        var blob = new byte[length];
        new Random(seed).NextBytes(blob);
        return blob;
    }

    private static double[] Doubles(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.NextDouble())];
    }
}

/// <summary>A plain record that holds large arrays.</summary>
public sealed record Document(int Id, string Name, byte[] Data, double[] Values);
