using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Orleans;

/// <summary>
/// The silo's typed loop over a batch, built once per allowed method so that the per-item path has no
/// reflection: deserialize the input, call the work, write the result or the error.
/// </summary>
internal abstract class ItemRunner
{
    public static ItemRunner Create(ShippedMethod method)
        => method.CreateRunner<ItemRunner>(typeof(SyncRunner<,>), typeof(AsyncRunner<,>), "a silo");

    /// <summary>Runs the items in order; items a cancelled batch did not reach are written as not run.</summary>
    public abstract ValueTask RunAsync(byte[] request, int[] offsets, int[] lengths, int count, WorkSerializer serializer, PayloadBuffer output, CancellationToken cancellationToken);

    private protected static void WriteError(PayloadBuffer output, RemoteError error)
    {
        output.WriteByte(DistributedWire.ItemError);
        error.Write(output);
    }

    /// <summary>An item whose input or result the silo could not (de)serialize: the caller rebuilds a <see cref="WorkSerializationException"/>, as with processes.</summary>
    private protected static void WriteSerializationError(PayloadBuffer output, byte side, string message, Exception ex)
    {
        output.WriteByte(DistributedWire.ItemNotSerializable);
        output.WriteByte(side);
        new RemoteError(typeof(WorkSerializationException).FullName!, message, ex.StackTrace, [RemoteError.From(ex)]).Write(output);
    }

    private protected static void WriteNotRun(PayloadBuffer output, int from, int count)
    {
        for (var i = from; i < count; i++)
        {
            output.WriteByte(DistributedWire.ItemNotRun);
        }
    }

    /// <summary>Deserializes an item's input; one that cannot be read is written as that item's error.</summary>
    private protected static bool TryReadInput<TIn>(ReadOnlySpan<byte> bytes, WorkSerializer serializer, PayloadBuffer output, out TIn input)
    {
        try
        {
            input = FastSerializer.Deserialize<TIn>(serializer, bytes);
            return true;
        }
        catch (Exception ex)
        {
            WriteSerializationError(output, DistributedWire.InputSide, $"The input of type '{typeof(TIn).FullName}' could not be deserialized on the silo: {RemoteError.SafeMessage(ex)}", ex);
            input = default!;
            return false;
        }
    }

    private protected static void WriteResult<TOut>(PayloadBuffer output, TOut result, WorkSerializer serializer)
    {
        var start = output.Length;
        output.WriteByte(DistributedWire.ItemResult);
        var lengthAt = output.BeginLength();
        try
        {
            FastSerializer.Serialize(serializer, output, result);
        }
        catch (Exception ex)
        {
            output.Truncate(start);
            WriteSerializationError(output, DistributedWire.ResultSide, $"The result of type '{typeof(TOut).FullName}' could not be serialized on the silo: {RemoteError.SafeMessage(ex)}", ex);
            return;
        }

        output.EndLength(lengthAt);
    }

    private sealed class SyncRunner<TIn, TOut>(Work<TIn, TOut> typed) : ItemRunner
    {
        private readonly Func<TIn, TOut> _work = typed.Sync!;

        public override ValueTask RunAsync(byte[] request, int[] offsets, int[] lengths, int count, WorkSerializer serializer, PayloadBuffer output, CancellationToken cancellationToken)
        {
            for (var i = 0; i < count; i++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    WriteNotRun(output, i, count);
                    break;
                }

                if (!TryReadInput(request.AsSpan(offsets[i], lengths[i]), serializer, output, out TIn input))
                {
                    continue;
                }

                TOut result;
                try
                {
                    result = _work(input);
                }
                catch (Exception ex)
                {
                    WriteError(output, RemoteError.From(ex));
                    continue;
                }

                WriteResult(output, result, serializer);
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class AsyncRunner<TIn, TOut>(Work<TIn, TOut> work) : ItemRunner
    {
        public override async ValueTask RunAsync(byte[] request, int[] offsets, int[] lengths, int count, WorkSerializer serializer, PayloadBuffer output, CancellationToken cancellationToken)
        {
            for (var i = 0; i < count; i++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    WriteNotRun(output, i, count);
                    break;
                }

                if (!TryReadInput(request.AsSpan(offsets[i], lengths[i]), serializer, output, out TIn input))
                {
                    continue;
                }

                TOut result;
                try
                {
                    result = await work.InvokeAsync(input, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    WriteError(output, RemoteError.From(ex));
                    continue;
                }

                WriteResult(output, result, serializer);
            }
        }
    }
}
