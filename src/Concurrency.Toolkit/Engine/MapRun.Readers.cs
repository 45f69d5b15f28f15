using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Engine;

/// <content>The caller's two views of a run: outcomes in input order, or as they finish.</content>
internal sealed partial class MapRun<TIn, TOut>
{
    /// <summary>
    /// Walks the finished batches for the caller. The next outcome of the batch in hand is handed out synchronously, with
    /// no state machine: for tiny items the caller's loop is the hot path, and a compiler-built async iterator spent more
    /// per item (and tiered up late) than the work it reported. Everything else (the first read, a failure, the next
    /// batch, the end) takes the asynchronous path.
    /// </summary>
    // Hand-written, not an async iterator: a compiler-built iterator over this reader took 24-26 CPU ns per tiny item against 12 (MapAsync) and 29-31 against 18-20 (MapUnorderedAsync) (engine suite, 2026-12-06).
    private abstract class Reader<TResult>(MapRun<TIn, TOut> run) : IAsyncEnumerator<TResult>
    {
        private Runner? _runner;
        private bool _started;
        private bool _ended;

        protected MapRun<TIn, TOut> Run { get; } = run;

        /// <summary>Gets the batch being read, or <see langword="null"/> between batches.</summary>
        protected WorkBatch<TIn, TOut>? Batch { get; private set; }

        /// <summary>Gets the position in <see cref="Batch"/> of the outcome last handed out.</summary>
        protected int Position { get; private set; } = -1;

        public TResult Current { get; protected set; } = default!;

        public ValueTask<bool> MoveNextAsync()
        {
            var batch = Batch;
            var next = Position + 1;
            if (batch is not null && next < batch.Count && !batch.HasErrors)
            {
                Position = next;
                Current = TakeSucceeded(batch, next);
                return new ValueTask<bool>(true);
            }

            return MoveNextSlowAsync();
        }

        public ValueTask DisposeAsync() => EndAsync();

        /// <summary>Gets the outcome of an item that succeeded.</summary>
        protected abstract TResult TakeSucceeded(WorkBatch<TIn, TOut> batch, int position);

        /// <summary>Sets <see cref="Current"/> for an item that failed, or throws when the failure ends the call.</summary>
        protected abstract void TakeFailed(WorkBatch<TIn, TOut> batch, int position, Exception error);

        /// <summary>Gets the next finished runner this reader hands out, or <see langword="null"/> when there is none.</summary>
        protected abstract ValueTask<Runner?> NextRunnerAsync();

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<bool> MoveNextSlowAsync()
        {
            if (_ended)
            {
                return false;
            }

            if (!_started)
            {
                // Outside the try, as at the top of an iterator: a run that did not start has nothing to stop. A call
                // cancelled before it starts reads nothing, not even the input's enumerator is created.
                if (Run.CallerCancelled)
                {
                    _ended = true;
                    Run.ThrowCallCancelled();
                }

                Run.Start();
                _started = true;
            }

            try
            {
                while (true)
                {
                    if (Batch is { } batch)
                    {
                        var next = Position + 1;
                        if (next < batch.Count)
                        {
                            Position = next;
                            if (batch.GetError(next) is { } error)
                            {
                                TakeFailed(batch, next, error);
                            }
                            else
                            {
                                Current = TakeSucceeded(batch, next);
                            }

                            return true;
                        }

                        Run.Consumed(_runner!);
                        _runner = null;
                        Batch = null;
                    }

                    var runner = await NextRunnerAsync().ConfigureAwait(false);
                    if (runner is null)
                    {
                        Run.ThrowIfTerminal();
                        await EndAsync().ConfigureAwait(false);
                        return false;
                    }

                    _runner = runner;
                    Batch = runner.Batch;
                    Position = -1;
                }
            }
            catch
            {
                await EndAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>
        /// Ends the reader once, as the finally block of an iterator would: at the loop's end, on a throw, or on disposal.
        /// A run that never started has nothing to stop.
        /// </summary>
        private ValueTask EndAsync()
        {
            // The batch in hand goes too: it may serve a later batch once the run lets go of it.
            Batch = null;
            if (_ended)
            {
                return ValueTask.CompletedTask;
            }

            _ended = true;
            return _started ? Run.StopAsync() : ValueTask.CompletedTask;
        }
    }

    private sealed class OrderedReader(MapRun<TIn, TOut> run) : Reader<TOut>(run)
    {
        /// <summary>Runners that finished ahead of their turn, by sequence.</summary>
        private readonly Dictionary<long, Runner> _early = [];
        private long _nextSequence;

        protected override TOut TakeSucceeded(WorkBatch<TIn, TOut> batch, int position) => batch.Results[position];

        protected override void TakeFailed(WorkBatch<TIn, TOut> batch, int position, Exception error)
        {
            // The first failure ends an ordered map: nothing after it may be handed out.
            Run.CancelItems();
            Run.ThrowItemFailure(error);
        }

        protected override async ValueTask<Runner?> NextRunnerAsync()
        {
            var sequence = _nextSequence;
            if (_early.Remove(sequence, out var runner))
            {
                _nextSequence++;
                return runner;
            }

            while (await Run.NextFinishedAsync().ConfigureAwait(false) is { } arrived)
            {
                if (arrived.Batch.Sequence == sequence)
                {
                    _nextSequence++;
                    return arrived;
                }

                _early[arrived.Batch.Sequence] = arrived;
            }

            return null;
        }
    }

    private sealed class UnorderedReader(MapRun<TIn, TOut> run) : Reader<WorkOutcome<TIn, TOut>>(run)
    {
        protected override WorkOutcome<TIn, TOut> TakeSucceeded(WorkBatch<TIn, TOut> batch, int position)
            => new(batch.FirstIndex + position, batch.Inputs[position], batch.Results[position]);

        protected override void TakeFailed(WorkBatch<TIn, TOut> batch, int position, Exception error)
        {
            if (Run.CallEnding || (error is OperationCanceledException && Run._itemCts.IsCancellationRequested))
            {
                // Cancelled because the call ended, not an outcome of the item: the call reports it. Once the caller has
                // cancelled, whatever an item threw may be its reaction to that, so cancellation wins.
                Run.ThrowCallEnded();
            }

            Current = new WorkOutcome<TIn, TOut>(batch.FirstIndex + position, batch.Inputs[position], error);
        }

        protected override ValueTask<Runner?> NextRunnerAsync() => Run.NextFinishedAsync();
    }
}
