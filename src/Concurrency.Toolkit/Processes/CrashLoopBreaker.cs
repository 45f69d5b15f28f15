using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace Concurrency.Toolkit.Processes;

/// <summary>
/// The pool's crash-loop breaker: Polly's circuit breaker around worker starts. After
/// <see cref="ProcessStrategyOptions.CrashLoopThreshold"/> starts in a row fail, it refuses starts for
/// <see cref="ProcessStrategyOptions.CrashLoopBreakDuration"/> (calls fail fast with
/// <see cref="WorkerCrashLoopException"/>), then lets one start through: its success closes it, its failure opens it again.
/// </summary>
internal sealed class CrashLoopBreaker
{
    /// <summary>Polly's bounds on a circuit breaker's durations (its options' validation): 0.5 s to 1 day.</summary>
    private static readonly TimeSpan MinPollyDuration = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan MaxPollyDuration = TimeSpan.FromDays(1);

    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly CircuitBreakerManualControl _control = new();
    private readonly Lock _gate = new();
    private readonly int _threshold;
    private readonly TimeSpan _breakDuration;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _admitted;
    private int _failures;
    private string _lastFailure = string.Empty;
    private Exception? _lastException;
    private DateTimeOffset _openUntil;

    public CrashLoopBreaker(ProcessStrategyOptions options, ILogger logger)
    {
        _threshold = options.CrashLoopThreshold;
        _breakDuration = options.CrashLoopBreakDuration;
        _time = options.TimeProvider;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Failures in a row: every start sampled failed, since a success clears the samples (see StartAsync).
                // Polly breaks on two samples at the fewest; a threshold of one records its failure twice.
                FailureRatio = 1.0,
                MinimumThroughput = Math.Max(2, _threshold),
                SamplingDuration = MaxPollyDuration,

                // Polly's own duration must lie within its bounds; the generator's, used for every break, need not.
                BreakDuration = _breakDuration < MinPollyDuration ? MinPollyDuration : _breakDuration > MaxPollyDuration ? MaxPollyDuration : _breakDuration,
                BreakDurationGenerator = _ => ValueTask.FromResult(_breakDuration),
                ShouldHandle = new PredicateBuilder().Handle<WorkerStartException>(),
                StateProvider = _state,
                ManualControl = _control,
            })
            .Build();
    }

    /// <summary>Gets a value indicating whether a start the breaker let through is still running (it may yet serve whoever waits).</summary>
    public bool StartsInFlight => Volatile.Read(ref _admitted) > 0;

    /// <summary>Starts worker <paramref name="id"/> through the breaker.</summary>
    /// <exception cref="WorkerStartException">The start failed, fewer times in a row than the threshold.</exception>
    /// <exception cref="WorkerCrashLoopException">The breaker refused the start, or this failure opened it.</exception>
    public async Task<WorkerHandle> StartAsync(int id, Func<int, Task<WorkerHandle>> spawn)
    {
        var attempt = new Attempt(this, id, spawn);
        try
        {
            var worker = await _pipeline.ExecuteAsync(static (attempt, _) => attempt.RunAsync(), attempt, CancellationToken.None).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _failures, 0) > 0)
            {
                // Clears the failures sampled so far: only failures in a row open the breaker.
                await _control.CloseAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return worker;
        }
        catch (BrokenCircuitException refused)
        {
            if (refused.RetryAfter is { } retryAfter)
            {
                // Refused while the one start after a break runs: not before that start's verdict.
                lock (_gate)
                {
                    var until = _time.GetUtcNow() + retryAfter;
                    _openUntil = until > _openUntil ? until : _openUntil;
                }
            }

            throw CrashLoop();
        }
        catch (WorkerStartException ex)
        {
            var failures = Record(ex);
            _logger.LogError("Worker {WorkerId} failed to start ({Failures} in a row): {Reason}", id, failures, ex.Message);
            if (_threshold == 1 && _state.CircuitState == CircuitState.Closed)
            {
                await ReplayAsync(ex).ConfigureAwait(false);
            }

            if (_state.CircuitState is CircuitState.Open or CircuitState.Isolated)
            {
                lock (_gate)
                {
                    _openUntil = _time.GetUtcNow() is var now && _breakDuration >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + _breakDuration;
                }

                throw CrashLoop();
            }

            throw;
        }
        finally
        {
            if (attempt.Admitted)
            {
                Interlocked.Decrement(ref _admitted);
            }
        }
    }

    private int Record(WorkerStartException ex)
    {
        lock (_gate)
        {
            _lastFailure = ex.Message;
            _lastException = ex.InnerException ?? ex;
            return Interlocked.Increment(ref _failures);
        }
    }

    /// <summary>Records a failure once more, for a threshold of one (Polly's breaker needs two samples).</summary>
    private async Task ReplayAsync(WorkerStartException ex)
    {
        try
        {
            await _pipeline.ExecuteAsync(static (ex, _) => ValueTask.FromException(ex), ex, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception replayed) when (replayed is WorkerStartException or BrokenCircuitException)
        {
            // Expected: the failure again, or the breaker already open.
        }
    }

    private WorkerCrashLoopException CrashLoop()
    {
        lock (_gate)
        {
            var failures = Volatile.Read(ref _failures);
            return new WorkerCrashLoopException(
                $"Worker processes of this ProcessStrategy failed to start {failures} times in a row, so the pool stopped starting them until {_openUntil:u}. Last failure: {_lastFailure}",
                failures,
                _lastFailure,
                _openUntil,
                _lastException);
        }
    }

    /// <summary>One start, and whether the breaker let it run.</summary>
    private sealed class Attempt(CrashLoopBreaker breaker, int id, Func<int, Task<WorkerHandle>> spawn)
    {
        public bool Admitted { get; private set; }

        public ValueTask<WorkerHandle> RunAsync()
        {
            Admitted = true;
            Interlocked.Increment(ref breaker._admitted);
            return new ValueTask<WorkerHandle>(spawn(id));
        }
    }
}
