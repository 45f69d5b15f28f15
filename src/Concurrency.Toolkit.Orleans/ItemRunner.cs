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

    private protected static void WriteNotRun(PayloadBuffer output, int from, int count)
    {
        for (var i = from; i < count; i++)
        {
            output.WriteByte(DistributedWire.ItemNotRun);
        }
    }

    private protected static RemoteError InputError<TIn>(Exception ex)
        => new(typeof(WorkSerializationException).FullName!, $"The input of type '{typeof(TIn).FullName}' could not be deserialized on the silo: {ex.Message}", ex.StackTrace, [RemoteError.From(ex)]);

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
            WriteError(output, new RemoteError(typeof(WorkSerializationException).FullName!, $"The result of type '{typeof(TOut).FullName}' could not be serialized on the silo: {ex.Message}", ex.StackTrace, [RemoteError.From(ex)]));
            return;
        }

        output.EndLength(lengthAt);
    }

    private sealed class SyncRunner<TIn, TOut>(Func<TIn, TOut> work) : ItemRunner
    {
        public override ValueTask RunAsync(byte[] request, int[] offsets, int[] lengths, int count, WorkSerializer serializer, PayloadBuffer output, CancellationToken cancellationToken)
        {
            for (var i = 0; i < count; i++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    WriteNotRun(output, i, count);
                    break;
                }

                TIn input;
                try
                {
                    input = FastSerializer.Deserialize<TIn>(serializer, request.AsSpan(offsets[i], lengths[i]));
                }
                catch (Exception ex)
                {
                    WriteError(output, InputError<TIn>(ex));
                    continue;
                }

                TOut result;
                try
                {
                    result = work(input);
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

    private sealed class AsyncRunner<TIn, TOut>(Func<TIn, CancellationToken, ValueTask<TOut>> work) : ItemRunner
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

                TIn input;
                try
                {
                    input = FastSerializer.Deserialize<TIn>(serializer, request.AsSpan(offsets[i], lengths[i]));
                }
                catch (Exception ex)
                {
                    WriteError(output, InputError<TIn>(ex));
                    continue;
                }

                TOut result;
                try
                {
                    result = await work(input, cancellationToken).ConfigureAwait(false);
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
