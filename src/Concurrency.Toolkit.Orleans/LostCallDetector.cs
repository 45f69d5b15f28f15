using System.Collections.Concurrent;
using Concurrency.Toolkit.Orleans.Grains;

namespace Concurrency.Toolkit.Orleans;

/// <summary>
/// Finds the grain calls whose silo was lost within about a second, instead of at
/// <see cref="OrleansStrategyOptions.CallTimeout"/>, and cancels them here so that their items can be sent again.
/// </summary>
/// <remarks>
/// <para>A call travels through the gateway that the client's route for its grain key leads to, and runs on that silo
/// (the worker is a stateless worker, placed where the call arrives). The route stays while the gateway's connection
/// lives; once the silo is gone, Orleans sends the key's messages through another gateway. Every reply names the silo
/// that sent it, so the detector knows where each key's route leads, and so where a call went. A probe sent with a
/// call's key every <see cref="ProbeInterval"/> asks the silo at the end of the route whether the call runs there.
/// When the answer comes from another silo than the call's, and that silo does not run it, the route changed under
/// the call: its silo is lost, and its reply will never come. A key's route is learned before its first call
/// (<see cref="LearnRouteAsync"/>), so that every call has a known silo from the start. This needs no membership view,
/// which on a client lags by tens of seconds.</para>
/// <para>Only that evidence declares a loss. A probe that fails or does not answer (a silo alive but stuck, a cluster
/// unreachable) proves nothing; neither does "not running" from the call's own silo (it finished, and its reply is on
/// the way, late on a busy machine), nor from any silo for a call whose silo is not known yet. The call's deadline
/// stays the backstop for all of these. Only calls older than <see cref="ProbeInterval"/> are probed, one probe per key
/// at a time, so short batches cost nothing.</para>
/// </remarks>
internal sealed class LostCallDetector(IGrainFactory grains, TimeProvider time)
{
    /// <summary>How often running calls are probed, and how old a call must be before it is.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Probes in a row that must miss a call whose silo was only inferred from its key's route when it was sent: it may
    /// have gone by a new route that no reply had shown yet, and finished there.
    /// </summary>
    private const int MissesToLoseInferred = 2;

    /// <summary>How long a probe may take: a probe caught in flight by the loss of its silo holds its key's next probe until then.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How long a key's first call waits for its route to be learned: once per key, on a silo that may be busy starting.</summary>
    private static readonly TimeSpan RouteProbeTimeout = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<long, TrackedCall> _calls = new();
    private readonly ConcurrentDictionary<long, long> _routes = new();
    private readonly ConcurrentDictionary<long, byte> _probing = new();
    private readonly ConcurrentDictionary<long, Task> _routeProbes = new();
    private long _nextCall;
    private int _looping;

    /// <summary>Gets this strategy's identity on the silos, random so that callers do not collide.</summary>
    public long Caller { get; } = Random.Shared.NextInt64();

    /// <summary>Numbers a call, for its request, before it is tracked.</summary>
    public long NewCallId() => Interlocked.Increment(ref _nextCall);

    /// <summary>Records that a reply on <paramref name="key"/> came from <paramref name="silo"/>: where the key's route leads now.</summary>
    public void Learn(long key, long silo)
    {
        if (silo != 0)
        {
            _routes[key] = silo;
        }
    }

    /// <summary>
    /// Learns where <paramref name="key"/>'s route leads before the key's first call, with a probe that the call then
    /// follows: a call sent without it could go by another gateway than a probe sent right after it, while the
    /// client's connection for the key is still being made. Completes at once once the key has been probed or
    /// answered; a probe that fails is not repeated (later replies teach the route).
    /// </summary>
    public ValueTask LearnRouteAsync(long key, CancellationToken cancellationToken)
    {
        if (_routes.ContainsKey(key))
        {
            return ValueTask.CompletedTask;
        }

        var probe = _routeProbes.GetOrAdd(key, static (k, self) => self.ProbeRouteAsync(k), this);
        return probe.IsCompleted ? ValueTask.CompletedTask : new ValueTask(probe.WaitAsync(cancellationToken));
    }

    private async Task ProbeRouteAsync(long key)
    {
        try
        {
            using var timeout = new CancellationTokenSource(RouteProbeTimeout, time);
            var answer = await grains.GetGrain<IDistributedWorkGrain>(key).FindRunningAsync(Caller, [], timeout.Token).ConfigureAwait(false);
            if (answer is [var silo, ..])
            {
                Learn(key, silo);
            }
        }
        catch (Exception)
        {
            // The key's first call goes without: its deadline still holds.
        }
    }

    /// <summary>Starts watching call <paramref name="id"/>, about to be sent with <paramref name="key"/>; <paramref name="cancel"/> cancels it if it is found lost.</summary>
    public TrackedCall Track(long id, long key, CancellationTokenSource cancel)
    {
        var call = new TrackedCall(id, key, time.GetTimestamp(), _routes.GetValueOrDefault(key), cancel);
        _calls[call.Id] = call;
        if (Volatile.Read(ref _looping) == 0 && Interlocked.CompareExchange(ref _looping, 1, 0) == 0)
        {
            _ = ProbeLoopAsync();
        }

        return call;
    }

    /// <summary>Stops watching a call that has ended, before its cancellation source is disposed.</summary>
    public void Untrack(TrackedCall call) => _calls.TryRemove(call.Id, out _);

    /// <summary>Runs while calls are in flight, and stops when none are, so that an idle strategy has no timer.</summary>
    private async Task ProbeLoopAsync()
    {
        while (true)
        {
            await Task.Delay(ProbeInterval, time).ConfigureAwait(false);
            if (_calls.IsEmpty)
            {
                Volatile.Write(ref _looping, 0);

                // A call tracked meanwhile saw the loop running and started none: carry on for it.
                if (_calls.IsEmpty || Interlocked.CompareExchange(ref _looping, 1, 0) != 0)
                {
                    return;
                }

                continue;
            }

            ProbeOldCalls();
        }
    }

    private void ProbeOldCalls()
    {
        var now = time.GetTimestamp();
        Dictionary<long, List<TrackedCall>>? byKey = null;
        foreach (var (_, call) in _calls)
        {
            if (call.IsLost || time.GetElapsedTime(call.Sent, now) < ProbeInterval || _probing.ContainsKey(call.Key))
            {
                continue;
            }

            byKey ??= [];
            if (!byKey.TryGetValue(call.Key, out var calls))
            {
                byKey[call.Key] = calls = [];
            }

            calls.Add(call);
        }

        if (byKey is null)
        {
            return;
        }

        foreach (var (key, calls) in byKey)
        {
            if (_probing.TryAdd(key, 0))
            {
                _ = ProbeAsync(key, calls);
            }
        }
    }

    private async Task ProbeAsync(long key, List<TrackedCall> calls)
    {
        try
        {
            using var timeout = new CancellationTokenSource(ProbeTimeout, time);
            var ids = calls.ConvertAll(static c => c.Id).ToArray();
            var answer = await grains.GetGrain<IDistributedWorkGrain>(key).FindRunningAsync(Caller, ids, timeout.Token).ConfigureAwait(false);
            if (answer is not [var silo, ..])
            {
                return;
            }

            Learn(key, silo);
            foreach (var call in calls)
            {
                if (Array.IndexOf(answer, call.Id, 1) >= 0)
                {
                    call.RunsOn(silo);
                }
                else if (_calls.ContainsKey(call.Id))
                {
                    call.Missed(silo);
                }
            }
        }
        catch (Exception)
        {
            // No answer is no evidence: the next round probes again, and the call's deadline still holds.
        }
        finally
        {
            _probing.TryRemove(key, out _);
        }
    }

    /// <summary>A call in flight, as the probes see it. Only the one probe of its key at a time changes it.</summary>
    internal sealed class TrackedCall(long id, long key, long sent, long inferredSilo, CancellationTokenSource cancel)
    {
        private long _silo = inferredSilo;
        private bool _confirmed;
        private int _misses;
        private int _lost;

        public long Id { get; } = id;

        public long Key { get; } = key;

        public long Sent { get; } = sent;

        public bool IsLost => Volatile.Read(ref _lost) != 0;

        /// <summary>A probe found the call running on <paramref name="silo"/>: now its silo is known for sure.</summary>
        public void RunsOn(long silo)
        {
            _silo = silo;
            _confirmed = true;
            _misses = 0;
        }

        /// <summary>A probe answered by <paramref name="silo"/> did not find the call running there.</summary>
        public void Missed(long silo)
        {
            if (_silo == 0)
            {
                // Where the call went is not known (its key's route could not be learned): its deadline decides.
                return;
            }

            if (_silo == silo)
            {
                // Not started yet, or finished and its reply is on the way.
                return;
            }

            if (_confirmed || ++_misses >= MissesToLoseInferred)
            {
                Lose();
            }
        }

        private void Lose()
        {
            if (Interlocked.Exchange(ref _lost, 1) != 0)
            {
                return;
            }

            try
            {
                cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The call ended as it was found lost; its own outcome stands.
            }
        }
    }
}
