using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Worker;

/// <summary>
/// The worker's typed loop over a batch, built once per shipped method so that the per-item path has no
/// reflection: deserialize the input, mark the item as running, call the work, serialize the result.
/// </summary>
internal abstract class WorkInvoker
{
    public static WorkInvoker Create(ShippedMethod method) => method.CreateRunner(Factory.Instance, "a worker");

    /// <summary>Runs items in order; returns how many ran (fewer when the batch was cancelled).</summary>
    public abstract int Run(WorkerBatch batch, WorkSerializer serializer, WorkerOutput output, ProgressMarker marker);

    private protected static RemoteError InputError<TIn>(Exception ex)
        => new(typeof(WorkSerializationException).FullName!, $"The input of type '{typeof(TIn).FullName}' could not be deserialized in the worker: {RemoteError.SafeMessage(ex)}", null, [RemoteError.From(ex)]);

    /// <summary>The one per-item loop; the two work shapes differ only in how an item is called.</summary>
    private abstract class TypedInvoker<TIn, TOut> : WorkInvoker
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public sealed override int Run(WorkerBatch batch, WorkSerializer serializer, WorkerOutput output, ProgressMarker marker)
        {
            var token = batch.Cancellation.Token;
            var packedInputs = batch.PackedType != 0;
            if (packedInputs && batch.PackedType != PrimitiveCodec<TIn>.TypeCode)
            {
                output.BatchFailed(batch.Id, 0, InputError<TIn>(new InvalidDataException($"The batch holds packed values of type code {batch.PackedType}, not {typeof(TIn).Name} values.")));
                return batch.Count;
            }

            // The default serializer's binary fast path for results; a serializer of the user's is never bypassed.
            var packResults = PrimitiveCodec<TOut>.IsPackable && serializer is JsonWorkSerializer { PacksPrimitives: true };
            var inputSize = PrimitiveCodec<TIn>.Size;
            var packed = packedInputs ? batch.PackedInputs : default;
            for (var i = 0; i < batch.Count; i++)
            {
                if (token.IsCancellationRequested)
                {
                    return i;
                }

                TIn input;
                try
                {
                    input = packedInputs ? PrimitiveCodec<TIn>.Read(packed.Slice(i * inputSize, inputSize)) : serializer.Deserialize<TIn>(batch.Item(i));
                }
                catch (Exception ex)
                {
                    output.Fail(batch.Id, i, ItemFailureKind.InputNotDeserializable, InputError<TIn>(ex));
                    continue;
                }

                output.FlushIfDue();
                marker.Begin(batch.Id, i);
                TOut result;
                try
                {
                    result = Invoke(input, token);
                }
                catch (Exception ex)
                {
                    // Reporting is part of the item: the marker stays on it until the failure is written, so that if
                    // describing the exception still killed the worker, the item would be blamed and not sent again.
                    output.Fail(batch.Id, i, ex is OperationCanceledException && token.IsCancellationRequested ? ItemFailureKind.Cancelled : ItemFailureKind.Threw, RemoteError.From(ex));
                    marker.Idle();
                    continue;
                }

                // Likewise a result whose serialization brings the worker down is that item's fault.
                if (packResults)
                {
                    output.AddPackedResult(batch.Id, i, result);
                }
                else
                {
                    output.AddResult(batch.Id, i, result, serializer);
                }

                marker.Idle();
            }

            return batch.Count;
        }

        protected abstract TOut Invoke(TIn input, CancellationToken cancellationToken);
    }

    /// <summary>Builds the invoker in plain generic code: for registered work, compiled ahead of time, with nothing for the trimmer to remove.</summary>
    private sealed class Factory : IRunnerFactory<WorkInvoker>
    {
        public static readonly Factory Instance = new();

        public WorkInvoker Create<TIn, TOut>(Work<TIn, TOut> work)
            => work.IsAsync ? new AsyncInvoker<TIn, TOut>(work) : new SyncInvoker<TIn, TOut>(work);
    }

    private sealed class SyncInvoker<TIn, TOut>(Work<TIn, TOut> work) : TypedInvoker<TIn, TOut>
    {
        private readonly Func<TIn, TOut> _work = work.Sync!;

        protected override TOut Invoke(TIn input, CancellationToken cancellationToken) => _work(input);
    }

    private sealed class AsyncInvoker<TIn, TOut>(Work<TIn, TOut> work) : TypedInvoker<TIn, TOut>
    {
        protected override TOut Invoke(TIn input, CancellationToken cancellationToken)
        {
            var pending = work.InvokeAsync(input, cancellationToken);

            // The worker's execution thread has nothing else to do while the item runs; its continuations run on the pool.
            return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        }
    }
}
