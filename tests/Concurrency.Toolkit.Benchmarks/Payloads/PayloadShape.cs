namespace Concurrency.Toolkit.Benchmarks.Payloads;

/// <summary>The payloads of issue 16: what users send through worker processes, from small records to 1 MiB buffers.</summary>
public enum PayloadShape
{
    /// <summary>200,000 <see cref="Item"/> records (an int, a short string, eight doubles) to their sum.</summary>
    Records,

    /// <summary>200,000 <c>byte[]</c> of 1 KiB to their length (205 MB).</summary>
    Blobs1KiB,

    /// <summary>3,200 <c>byte[]</c> of 64 KiB to their length (210 MB).</summary>
    Blobs64KiB,

    /// <summary>200 <c>byte[]</c> of 1 MiB to their length (210 MB).</summary>
    Blobs1MiB,

    /// <summary>100,000 strings of 90 to 110 ASCII characters to their length.</summary>
    Strings,

    /// <summary>200 <c>double[]</c> of 100,000 elements to their sum (160 MB).</summary>
    Doubles,

    /// <summary>3,200 <c>byte[]</c> of 64 KiB to the same bytes reversed: 64 KiB back per item (large results).</summary>
    Reversed64KiB,

    /// <summary>200 <c>byte[]</c> of 1 MiB to the same bytes reversed: 1 MiB back per item (large results).</summary>
    Reversed1MiB,
}
