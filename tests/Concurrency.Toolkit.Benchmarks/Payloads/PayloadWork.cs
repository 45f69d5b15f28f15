namespace Concurrency.Toolkit.Benchmarks.Payloads;

/// <summary>
/// Work shipped to the workers by the payload suite: each is a few instructions per byte at most, so what is measured
/// is moving the payload. The Python peer (<c>Peers/python_bench.py</c>, workload <c>payload</c>) runs the same
/// functions on the same data.
/// </summary>
public static class PayloadWork
{
    public static double SumValues(Item item)
    {
        var sum = 0.0;
        foreach (var v in item.Values)
        {
            sum += v;
        }

        return sum;
    }

    public static int BlobLength(byte[] blob) => blob.Length;

    /// <summary>A result as large as the input: its bytes in reverse order (Python: <c>blob[::-1]</c>).</summary>
    public static byte[] Reverse(byte[] blob)
    {
        var reversed = GC.AllocateUninitializedArray<byte>(blob.Length);
        blob.CopyTo(reversed, 0);
        Array.Reverse(reversed);
        return reversed;
    }

    public static int TextLength(string text) => text.Length;

    public static double Sum(double[] values)
    {
        var sum = 0.0;
        foreach (var v in values)
        {
            sum += v;
        }

        return sum;
    }
}
