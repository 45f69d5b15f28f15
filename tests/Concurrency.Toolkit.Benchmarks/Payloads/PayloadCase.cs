using System.Globalization;

namespace Concurrency.Toolkit.Benchmarks.Payloads;

/// <summary>
/// One payload of the suite at a given scale: its inputs (built before anything is timed, distinct objects, so no
/// serializer can share them), the work shipped for it, and the expected result of every item, checked after each
/// map so that a fast wrong answer cannot pass. The Python peer builds the same data with the same formulas (see
/// <c>payload_build</c> in <c>Peers/python_bench.py</c>); <see cref="Key"/> names the payload on both sides.
/// </summary>
public abstract class PayloadCase
{
    /// <summary>Records in a run at full size; every other payload's count scales with it.</summary>
    public const int FullRecords = 200_000;

    /// <summary>Elements of each <c>double[]</c>.</summary>
    public const int DoublesLength = 100_000;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";

    protected PayloadCase(PayloadShape shape, int count)
    {
        Shape = shape;
        Count = count;
    }

    public PayloadShape Shape { get; }

    /// <summary>Gets the name shared with the Python peer (<c>--payload-shapes</c>).</summary>
    public string Key => KeyOf(Shape);

    /// <summary>Gets what a row of the table calls this payload.</summary>
    public string What => WhatOf(Shape);

    /// <summary>Gets the items in one run.</summary>
    public int Count { get; }

    /// <summary>Gets the payload bytes of one run's inputs (raw sizes: 4 per int, 8 per double, 1 per ASCII character), set by <see cref="Build"/>.</summary>
    public long Bytes { get; protected set; }

    public static IReadOnlyList<PayloadShape> AllShapes { get; } = Enum.GetValues<PayloadShape>();

    public static string WhatOf(PayloadShape shape) => shape switch
    {
        PayloadShape.Records => "records (int Id, string Name, double[8] Values) -> sum",
        PayloadShape.Blobs1KiB => "1 KiB byte[] -> length",
        PayloadShape.Blobs64KiB => "64 KiB byte[] -> length",
        PayloadShape.Blobs1MiB => "1 MiB byte[] -> length",
        PayloadShape.Strings => "strings of 90-110 chars -> length",
        PayloadShape.Doubles => "double[100,000] -> sum",
        PayloadShape.Reversed64KiB => "64 KiB byte[] -> 64 KiB byte[] (reversed)",
        PayloadShape.Reversed1MiB => "1 MiB byte[] -> 1 MiB byte[] (reversed)",
        _ => shape.ToString(),
    };

    public static string KeyOf(PayloadShape shape) => shape switch
    {
        PayloadShape.Records => "records",
        PayloadShape.Blobs1KiB => "blobs-1k",
        PayloadShape.Blobs64KiB => "blobs-64k",
        PayloadShape.Blobs1MiB => "blobs-1m",
        PayloadShape.Strings => "strings",
        PayloadShape.Doubles => "doubles",
        PayloadShape.Reversed64KiB => "reversed-64k",
        PayloadShape.Reversed1MiB => "reversed-1m",
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };

    public static PayloadShape Parse(string key)
    {
        foreach (var shape in AllShapes)
        {
            if (KeyOf(shape) == key)
            {
                return shape;
            }
        }

        throw new ArgumentException($"Unknown payload '{key}'; payloads: {string.Join(", ", AllShapes.Select(KeyOf))}.", nameof(key));
    }

    /// <summary>Items of <paramref name="shape"/> in a run at full size: about 200 MB for the blobs and the arrays.</summary>
    public static int FullCount(PayloadShape shape) => shape switch
    {
        PayloadShape.Records => FullRecords,
        PayloadShape.Blobs1KiB => 200_000,
        PayloadShape.Blobs64KiB => 3_200,
        PayloadShape.Blobs1MiB => 200,
        PayloadShape.Strings => 100_000,
        PayloadShape.Doubles => 200,
        PayloadShape.Reversed64KiB => 3_200,
        PayloadShape.Reversed1MiB => 200,
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };

    /// <summary>The item count at a scale (1 = full size); at least four items, two per worker.</summary>
    public static int CountAt(PayloadShape shape, double scale) => Math.Max(4, (int)Math.Round(FullCount(shape) * scale));

    public static PayloadCase Create(PayloadShape shape, double scale)
    {
        var count = CountAt(shape, scale);
        return shape switch
        {
            PayloadShape.Records => new PayloadCase<Item, double>(shape, count, MakeItem, static item => 4 + item.Name.Length + (8L * item.Values.Length), PayloadWork.SumValues, static r => r),
            PayloadShape.Blobs1KiB => Blobs(shape, count, 1024),
            PayloadShape.Blobs64KiB => Blobs(shape, count, 64 * 1024),
            PayloadShape.Blobs1MiB => Blobs(shape, count, 1024 * 1024),
            PayloadShape.Strings => new PayloadCase<string, int>(shape, count, MakeText, static text => text.Length, PayloadWork.TextLength, static r => r),
            PayloadShape.Doubles => new PayloadCase<double[], double>(shape, count, MakeDoubles, static values => 8L * values.Length, PayloadWork.Sum, static r => r),
            PayloadShape.Reversed64KiB => Reversed(shape, count, 64 * 1024),
            PayloadShape.Reversed1MiB => Reversed(shape, count, 1024 * 1024),
            _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
        };
    }

    /// <summary>Builds the inputs and the expected results (not timed).</summary>
    public abstract void Build();

    /// <summary>Drops the inputs, so that one payload's 200 MB is not kept while the next is measured.</summary>
    public abstract void Release();

    /// <summary>Runs the ordered map on <paramref name="strategy"/> and checks every result.</summary>
    /// <exception cref="InvalidOperationException">A result is missing, extra or wrong.</exception>
    public abstract Task MapAsync(IExecutionStrategy strategy);

    /// <summary>The in-box baseline: the same work on the same inputs with <see cref="Parallel.ForEachAsync{TSource}(IEnumerable{TSource}, Func{TSource, CancellationToken, ValueTask})"/>, nothing copied.</summary>
    public abstract Task InProcessAsync();

    private static PayloadCase<byte[], int> Blobs(PayloadShape shape, int count, int size)
        => new(shape, count, i => MakeBlob(i, size), static blob => blob.Length, PayloadWork.BlobLength, static r => r);

    /// <summary>
    /// Blobs whose results are as large as their inputs. MB/s counts the inputs' bytes only, as for every other
    /// payload, though as many come back. A result is checked by its length and every 61st byte (a full compare
    /// would be host time the other payloads do not pay); the byte pattern makes a wrong order or offset show.
    /// </summary>
    private static PayloadCase<byte[], byte[]> Reversed(PayloadShape shape, int count, int size)
        => new(shape, count, i => MakeBlob(i, size), static blob => blob.Length, PayloadWork.Reverse, Fingerprint);

    private static double Fingerprint(byte[] blob)
    {
        var hash = (long)blob.Length;
        for (var j = 0; j < blob.Length; j += 61)
        {
            hash = unchecked((hash * 31) + blob[j]);
        }

        return hash & 0xFFFF_FFFF_FFFF;
    }

    private static Item MakeItem(int i)
    {
        var values = new double[8];
        for (var k = 0; k < values.Length; k++)
        {
            values[k] = (i % 1000) + (k * 0.125);
        }

        return new Item(i, "record-" + i.ToString(CultureInfo.InvariantCulture), values);
    }

    private static byte[] MakeBlob(int i, int size)
    {
        var blob = new byte[size];
        for (var j = 0; j < blob.Length; j++)
        {
            blob[j] = (byte)(i + j);
        }

        return blob;
    }

    private static string MakeText(int i)
    {
        var length = 90 + (i % 21);
        return string.Concat(i.ToString("D8", CultureInfo.InvariantCulture), Alphabet.AsSpan(i % 26, length - 8));
    }

    private static double[] MakeDoubles(int i)
    {
        var values = new double[DoublesLength];
        for (var j = 0; j < values.Length; j++)
        {
            values[j] = ((i + j) % 1000) * 0.5;
        }

        return values;
    }
}

/// <summary>A payload of inputs <typeparamref name="TIn"/> and results <typeparamref name="TOut"/>.</summary>
public sealed class PayloadCase<TIn, TOut>(PayloadShape shape, int count, Func<int, TIn> make, Func<TIn, long> size, Func<TIn, TOut> work, Func<TOut, double> value)
    : PayloadCase(shape, count)
{
    private TIn[]? _inputs;
    private double[]? _expected;

    public override void Build()
    {
        var inputs = new TIn[Count];
        var expected = new double[Count];
        long bytes = 0;
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = make(i);
            expected[i] = value(work(inputs[i]));
            bytes += size(inputs[i]);
        }

        (_inputs, _expected, Bytes) = (inputs, expected, bytes);
    }

    public override void Release() => (_inputs, _expected) = (null, null);

    public override async Task MapAsync(IExecutionStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var inputs = _inputs ?? throw new InvalidOperationException("Build the payload first.");
        var expected = _expected!;
        var i = 0;
        await foreach (var result in strategy.MapAsync(inputs, work).ConfigureAwait(false))
        {
            if (i >= expected.Length || value(result) != expected[i])
            {
                throw new InvalidOperationException($"Payload {Key}: result {i} is {(i >= expected.Length ? "extra" : $"{value(result)}, expected {expected[i]}")}.");
            }

            i++;
        }

        if (i != expected.Length)
        {
            throw new InvalidOperationException($"Payload {Key}: {i} results for {expected.Length} items.");
        }
    }

    public override Task InProcessAsync()
    {
        var inputs = _inputs ?? throw new InvalidOperationException("Build the payload first.");
        return Parallel.ForEachAsync(inputs, (x, _) =>
        {
            Sink.Consume((int)value(work(x)));
            return ValueTask.CompletedTask;
        });
    }
}
