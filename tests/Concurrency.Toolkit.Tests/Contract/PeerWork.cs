namespace Concurrency.Toolkit.Tests.Contract;

/// <summary>
/// Work for the contract cases adapted from the peers' own test suites (Parallel.ForEachAsync, TPL Dataflow,
/// CPython's concurrent.futures): static methods with no captured state, so that they also run in another process.
/// </summary>
public static class PeerWork
{
    /// <summary>What <see cref="ThrowWhenCancelledAsync"/> throws when its token is cancelled.</summary>
    public const string ReactedToCancellation = "the item reacted to its cancellation by failing";

    public static int Echo(int x) => x;

    public static int Increment(int x) => x + 1;

    public static char Upper(char c) => char.ToUpperInvariant(c);

    public static async ValueTask<char> UpperAsync(char c, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return char.ToUpperInvariant(c);
    }

    public static string EchoText(string s) => s;

    /// <summary>Asynchronous work that always suspends once.</summary>
    public static async ValueTask<int> EchoYieldingAsync(int x, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return x;
    }

    /// <summary>Asynchronous work that completes synchronously, as <c>(item, ct) =&gt; default</c> does in the peers' tests.</summary>
    public static ValueTask<int> EchoCompletedAsync(int x, CancellationToken cancellationToken) => ValueTask.FromResult(x);

    /// <summary>Several arguments as one tuple (CPython's <c>submit(mul, 2, y=8)</c>).</summary>
    public static int Multiply((int X, int Y) arguments) => arguments.X * arguments.Y;

    /// <summary>CPython's <c>map(pow, range(10), range(10))</c>: two input sequences zipped into one tuple per item.</summary>
    public static long Power((int Base, int Exponent) arguments)
    {
        var result = 1L;
        for (var i = 0; i < arguments.Exponent; i++)
        {
            result *= arguments.Base;
        }

        return result;
    }

    /// <summary>A tuple result (CPython's <c>capture(*args, **kwargs)</c> returns what it was given).</summary>
    public static (int First, int Second) Swap((int First, int Second) pair) => (pair.Second, pair.First);

    /// <summary>Named arguments as a record (CPython's <c>capture(1, self=2, fn=3)</c>).</summary>
    public static Keywords Capture(Keywords keywords) => keywords with { Positional = keywords.Positional + 1 };

    /// <summary>CPython's <c>divmod(5, d)</c>, quotient only: a divisor of zero throws <see cref="DivideByZeroException"/>.</summary>
    public static int DivideFive(int divisor) => 5 / divisor;

    /// <summary>CPython's <c>timeout_on_one</c>: the work's own <see cref="TimeoutException"/> is an ordinary failure.</summary>
    public static int TimeoutOnOne(int x) => x == 1 ? throw new TimeoutException("the work timed out on its own") : x;

    /// <summary>Throws a different exception type for each of the values 0 to 3 (Parallel's Exception_FromLoopBody_Async).</summary>
    public static int ThrowByValue(int x) => throw ExceptionFor(x);

    /// <inheritdoc cref="ThrowByValue"/>
    public static async ValueTask<int> ThrowByValueAsync(int x, CancellationToken cancellationToken)
    {
        await Task.Yield();
        throw ExceptionFor(x);
    }

    /// <summary>Fails with an <see cref="OperationCanceledException"/> for its own token (not cancelled) when the job says so, else with <see cref="FormatException"/>.</summary>
    public static async ValueTask<int> GiveUpOrFailAsync(Job job, CancellationToken cancellationToken)
    {
        await Task.Yield();
        throw job.Fail ? new OperationCanceledException(cancellationToken) : new FormatException($"item {job.Value} failed on purpose");
    }

    /// <summary>Returns at once for a job with no delay; otherwise waits for its token and reacts to cancellation by throwing something else.</summary>
    public static async ValueTask<int> ThrowWhenCancelledAsync(Job job, CancellationToken cancellationToken)
    {
        if (job.DelayMs == 0)
        {
            return job.Value;
        }

        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException(ReactedToCancellation);
        }

        return job.Value;
    }

    /// <summary>A fresh object per item, so that a test can watch whether the strategy holds on to results it handed over.</summary>
    public static Job MakeJob(int x) => new(x);

    /// <inheritdoc cref="MakeJob"/>
    public static async ValueTask<Job> MakeJobAsync(int x, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return new Job(x);
    }

    /// <summary>Remembers its input weakly under the input's key, where the input was deserialized (the worker, for processes).</summary>
    public static int Remember(Keyed keyed)
    {
        Remembered[keyed.Key] = new WeakReference(keyed);
        return keyed.Payload.Length;
    }

    /// <summary>Whether the input remembered under <paramref name="key"/> was collected, after a full collection where it was remembered.</summary>
    public static bool WasCollected(string key)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            if (!Remembered[key].IsAlive)
            {
                Remembered.TryRemove(key, out _);
                return true;
            }
        }

        return false;
    }

    /// <summary>Work over an input the serializer may fail to write.</summary>
    public static int AcceptUnwritable(Unwritable input) => input.Value;

    /// <summary>Work over an input the serializer may fail to read back.</summary>
    public static int AcceptUnreadable(Unreadable input) => input.Value;

    /// <summary>Work whose result the serializer fails to write when <paramref name="x"/> is 2.</summary>
    public static Unwritable MakeUnwritable(int x) => new() { Value = x, Fail = x == 2 };

    /// <summary>Work whose result the serializer fails to read back when <paramref name="x"/> is 2.</summary>
    public static Unreadable MakeUnreadable(int x) => new() { Value = x, Fail = x == 2 };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, WeakReference> Remembered = new();

    private static Exception ExceptionFor(int x) => x switch
    {
        0 => new FormatException(),
        1 => new InvalidTimeZoneException(),
        2 => new ArithmeticException(),
        3 => new DivideByZeroException(),
        _ => new InvalidOperationException(),
    };
}

/// <summary>Named arguments as a record: CPython's keyword arguments.</summary>
/// <param name="Positional">An argument given by position.</param>
/// <param name="Self">An argument whose name is a keyword elsewhere.</param>
/// <param name="Fn">Another named argument.</param>
public sealed record Keywords(int Positional, int Self, int Fn);

/// <summary>An input that carries a key to find it by, and some weight.</summary>
/// <param name="Key">Unique per test.</param>
/// <param name="Payload">Some data, so that the object is worth collecting.</param>
public sealed record Keyed(string Key, int[] Payload);

/// <summary>A value the serializer fails to write when <see cref="Fail"/> is set (CPython's ErrorAtPickle).</summary>
public sealed class Unwritable
{
    public const string Failure = "this value cannot be written on purpose";

    public int Value { get; set; }

    public bool Fail { get; set; }

    /// <summary>Read by the serializer only: throws when the value is marked to fail.</summary>
    public int Tripwire => Fail ? throw new InvalidOperationException(Failure) : 0;
}

/// <summary>A value the serializer writes but fails to read back when <see cref="Fail"/> is set (CPython's ErrorAtUnpickle).</summary>
public sealed class Unreadable
{
    public const string Failure = "this value cannot be read on purpose";

    public int Value { get; set; }

    public bool Fail { get; set; }

    /// <summary>Written as 1 for a value marked to fail; only the serializer sets it, and setting 1 throws.</summary>
    public int Tripwire
    {
        get => Fail ? 1 : 0;
        set
        {
            if (value == 1)
            {
                throw new InvalidOperationException(Failure);
            }
        }
    }
}
