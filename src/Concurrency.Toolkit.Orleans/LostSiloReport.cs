using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Orleans;

/// <summary>Why a call's items are sent again.</summary>
internal enum LossCause
{
    /// <summary>Probes found the call's silo gone (<see cref="LostCallDetector"/>).</summary>
    Lost,

    /// <summary>The call outlasted <see cref="OrleansStrategyOptions.CallTimeout"/>, or the silo stopped it there before running some items.</summary>
    TimedOut,

    /// <summary>The cluster refused the call or could not deliver it (a silo unavailable, a connection failed).</summary>
    Refused,
}

/// <summary>
/// Turns the many calls that one lost silo held into one warning: how many items were sent again, and why. A lost
/// silo's calls are found within a second or so of each other; the warning waits until two seconds pass without
/// another (ten at most), or the strategy is disposed, so that the user reads one line instead of one per call.
/// </summary>
internal sealed class LostSiloReport(ILogger logger, TimeProvider time, string strategyName, int retries) : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private readonly int[] _calls = new int[3];
    private ITimer? _timer;
    private int _items;
    private long _first;
    private bool _pending;

    /// <summary>Records that the items of one call are about to be sent again.</summary>
    public void Resending(int items, LossCause cause)
    {
        if (!logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        lock (_lock)
        {
            _calls[(int)cause]++;
            _items += items;
            var now = time.GetTimestamp();
            if (!_pending)
            {
                _pending = true;
                _first = now;
            }

            // Two quiet seconds from now, but no later than ten seconds after the first.
            var due = TimeSpan.FromTicks(Math.Clamp((Longest - time.GetElapsedTime(_first, now)).Ticks, 0, Quiet.Ticks));
            _timer ??= time.CreateTimer(static self => ((LostSiloReport)self!).Flush(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Writes what is pending now: when the quiet time has passed, and when the strategy is disposed.</summary>
    public void Flush()
    {
        Pending pending;
        lock (_lock)
        {
            if (!_pending)
            {
                return;
            }

            pending = new Pending(_calls[0], _calls[1], _calls[2], _items);
            Array.Clear(_calls);
            _items = 0;
            _pending = false;
        }

        Write(pending);
    }

    /// <summary>Writes what is pending and stops the timer.</summary>
    public void Dispose()
    {
        Flush();
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Write(Pending pending)
    {
        var (lost, timedOut, refused, items) = pending;
        var causes = new List<string>(3);
        if (lost > 0)
        {
            causes.Add($"{lost} call(s) on a silo found gone");
        }

        if (timedOut > 0)
        {
            causes.Add($"{timedOut} past CallTimeout");
        }

        if (refused > 0)
        {
            causes.Add($"{refused} refused by the cluster");
        }

        logger.LogWarning(
            "OrleansStrategy '{Name}': a silo was lost or stopped answering; {Items} item(s) of {Calls} call(s) were sent again to a live silo ({Causes}). " +
            "Sending again assumes the work is idempotent; set OrleansStrategyOptions.LostSiloRetries = 0 for work that must not run twice (now {Retries}).",
            strategyName,
            items,
            lost + timedOut + refused,
            string.Join(", ", causes),
            retries);
    }

    private sealed record Pending(int Lost, int TimedOut, int Refused, int Items);
}
