using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// The pool's crash-loop breaker: Polly's circuit breaker around worker starts. After
/// <see cref="ProcessStrategyOptions.CrashLoopThreshold"/> starts in a row fail, it refuses starts for
/// <see cref="ProcessStrategyOptions.CrashLoopBreakDuration"/> (calls fail fast with
/// <see cref="WorkerCrashLoopException"/>), then lets one start through: its success closes it, its failure opens it again.
/// </summary>
internal sealed class CrashLoopBreaker
{
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly CircuitBreakerManualControl _control = new();
    private readonly Lock _gate = new();
    private readonly ProcessStrategyOptions _options;
    private readonly ILogger _logger;
    private int _admitted;
    private int _failures;
    private WorkerStartException? _last;
    private DateTimeOffset _openUntil;

    public CrashLoopBreaker(ProcessStrategyOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Failures in a row: every start sampled failed, as a success clears the samples (see StartAsync). Polly
                // breaks on two samples at the fewest, so a threshold of one records its failure twice.
                FailureRatio = 1.0,
                MinimumThroughput = Math.Max(2, options.CrashLoopThreshold),
                SamplingDuration = TimeSpan.FromDays(1),

                // Polly's options take 0.5 s to 1 day; the generator, which sets every break, takes any duration.
                BreakDuration = TimeSpan.FromSeconds(Math.Clamp(options.CrashLoopBreakDuration.TotalSeconds, 0.5, 86_400)),
                BreakDurationGenerator = _ => ValueTask.FromResult(options.CrashLoopBreakDuration),
                ShouldHandle = new PredicateBuilder().Handle<WorkerStartException>(),
                StateProvider = _state,
                ManualControl = _control,
            })
            .Build();
    }

    /// <summary>Gets a value indicating whether a start the breaker let through still runs (it may yet serve whoever waits).</summary>
    public bool StartsInFlight => Volatile.Read(ref _admitted) > 0;

    /// <summary>Starts worker <paramref name="id"/> through the breaker.</summary>
    /// <exception cref="WorkerStartException">The start failed, fewer times in a row than the threshold.</exception>
    /// <exception cref="WorkerCrashLoopException">The breaker refused the start, or this failure opened it.</exception>
    public async Task<WorkerHandle> StartAsync(int id, Func<int, Task<WorkerHandle>> spawn)
    {
        try
        {
            var worker = await _pipeline.ExecuteAsync(
                static async (state, _) =>
                {
                    Interlocked.Increment(ref state.self._admitted);
                    try
                    {
                        return await state.spawn(state.id).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref state.self._admitted);
                    }
                },
                (self: this, spawn, id),
                CancellationToken.None).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _failures, 0) > 0)
            {
                // Clears the failures sampled so far: only failures in a row open the breaker.
                await _control.CloseAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return worker;
        }
        catch (BrokenCircuitException refused)
        {
            // Refused while the one start after a break runs: not before that start's verdict.
            throw CrashLoop(_options.TimeProvider.GetUtcNow() + (refused.RetryAfter ?? TimeSpan.Zero));
        }
        catch (WorkerStartException ex)
        {
            lock (_gate)
            {
                _last = ex;
                _failures++;
            }

            _logger.LogError("Worker {WorkerId} failed to start ({Failures} in a row): {Reason}", id, Volatile.Read(ref _failures), ex.Message);
            if (_options.CrashLoopThreshold == 1 && _state.CircuitState == CircuitState.Closed)
            {
                try
                {
                    await _pipeline.ExecuteAsync(static (ex, _) => ValueTask.FromException(ex), ex, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception replayed) when (replayed is WorkerStartException or BrokenCircuitException)
                {
                    // The failure, recorded once more (or the breaker opened meanwhile).
                }
            }

            if (_state.CircuitState == CircuitState.Closed)
            {
                throw;
            }

            var now = _options.TimeProvider.GetUtcNow();
            var duration = _options.CrashLoopBreakDuration;
            throw CrashLoop(duration >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + duration);
        }
    }

    private WorkerCrashLoopException CrashLoop(DateTimeOffset openUntil)
    {
        lock (_gate)
        {
            _openUntil = openUntil > _openUntil ? openUntil : _openUntil;
            var reason = _last?.Message ?? string.Empty;
            return new WorkerCrashLoopException(
                $"Worker processes of this ProcessStrategy failed to start {_failures} times in a row, so the pool stopped starting them until {_openUntil:u}. Last failure: {reason}",
                _failures,
                reason,
                _openUntil,
                _last?.InnerException ?? _last);
        }
    }
}
