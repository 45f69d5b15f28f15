namespace Concurrency.Toolkit.Samples.Demo;

/// <summary>CPU-bound work: counting primes by trial division, deliberately plain.</summary>
public static class Primes
{
    /// <summary>Counts the primes in [<paramref name="range"/>.Start, <paramref name="range"/>.End).</summary>
    public static int CountInRange(NumberRange range)
    {
        var count = 0;
        for (var n = range.Start; n < range.End; n++)
        {
            if (IsPrime(n))
            {
                count++;
            }
        }

        return count;
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

/// <summary>A half-open range of numbers: one work item.</summary>
public readonly record struct NumberRange(long Start, long End)
{
    public static IEnumerable<NumberRange> Split(long below, int chunk)
    {
        for (long start = 0; start < below; start += chunk)
        {
            yield return new NumberRange(start, Math.Min(below, start + chunk));
        }
    }
}
