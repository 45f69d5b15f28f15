namespace Concurrency.Toolkit.Samples;

/// <summary>
/// The work: count the primes in one block of numbers by trial division. Pure CPU, no shared state, no
/// allocation. It is a public static method taking and returning plain values, which is what lets the
/// process strategy ship it to a worker process by name.
/// </summary>
public static class Primes
{
    public const int BlockSize = 100_000;

    // Stands for what makes CPU work stop scaling on threads in .NET: a library that is not thread-safe and
    // guards itself with one process-wide lock (the .NET analogue of Python's GIL).
    private static readonly Lock Global = new();

    public static int CountInBlock(int block)
    {
        var count = 0;
        var end = (long)(block + 1) * BlockSize;
        for (var n = (long)block * BlockSize; n < end; n++)
        {
            if (IsPrime(n))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The same count, but under a process-wide lock: threads take turns; processes each have their own lock.</summary>
    public static int CountInBlockUnderGlobalLock(int block)
    {
        lock (Global)
        {
            return CountInBlock(block);
        }
    }

    private static bool IsPrime(long n)
    {
        if (n < 2)
        {
            return false;
        }

        if (n % 2 == 0)
        {
            return n == 2;
        }

        for (long d = 3; d * d <= n; d += 2)
        {
            if (n % d == 0)
            {
                return false;
            }
        }

        return true;
    }
}
