namespace Concurrency.Toolkit.Orleans;

/// <summary>
/// The silo's typed loop over a batch, built once per allowed method so that the per-item path has no
/// reflection: deserialize the input, call the work, write the result or the error.
/// </summary>
internal abstract class ItemRunner
{
    /// <summary>The most bytes one item's error takes in a reply; a longer one is cut, and the cut noted in its message.</summary>
    public const int MaxErrorBytes = 64 * 1024;

    /// <summary>Builds the runner for <paramref name="method"/>: registered work by its name, other work from its metadata.</summary>
    /// <exception cref="InvalidOperationException">The method cannot be found here, or is no shape of work.</exception>
    public static ItemRunner Create(ShippedMethod method) => method.CreateRunner(Factory.Instance, "a silo");

    /// <summary>Runs the items in order; items a cancelled batch did not reach are written as not run.</summary>
    public abstract ValueTask RunAsync(byte[] request, int[] offsets, int[] lengths, int count, WorkSerializer serializer, PayloadBuffer output, CancellationToken cancellationToken);

    private protected static void WriteError(PayloadBuffer output, Exception error)
    {
        output.WriteByte(DistributedWire.ItemError);
        ShippedError.Write(output, error, MaxErrorBytes);
    }

    /// <summary>An item whose input or result the silo could not (de)serialize: the caller rebuilds a <see cref="WorkSerializationException"/>, as with processes.</summary>
    private protected static void WriteSerializationError(PayloadBuffer output, byte side, string message, Exception ex)
    {
        output.WriteByte(DistributedWire.ItemNotSerializable);
        output.WriteByte(side);
        ShippedError.Write(output, new WorkSerializationException(message, null, ex), MaxErrorBytes);
    }

    /// <summary>Reads an exception's message, or says why it could not be read: a serializer's exception is not trusted to have one.</summary>
    private protected static string MessageOf(Exception exception)
    {
        try
        {
            return exception.Message;
        }
        catch (Exception ex)
        {
            return $"(the exception's message could not be read: its Message getter threw {ex.GetType().FullName})";
        }
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
            WriteSerializationError(output, DistributedWire.InputSide, $"The input of type '{typeof(TIn).FullName}' could not be deserialized on the silo: {MessageOf(ex)}", ex);
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
            WriteSerializationError(output, DistributedWire.ResultSide, $"The result of type '{typeof(TOut).FullName}' could not be serialized on the silo: {MessageOf(ex)}", ex);
            return;
        }

        output.EndLength(lengthAt);
    }

    private sealed class Factory : IRunnerFactory<ItemRunner>
    {
        public static readonly Factory Instance = new();

        public ItemRunner Create<TIn, TOut>(Work<TIn, TOut> work) => new Runner<TIn, TOut>(work);
    }

    private sealed class Runner<TIn, TOut>(Work<TIn, TOut> work) : ItemRunner
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
                    // Synchronous work runs to its end here and comes back completed, so a batch of it never suspends.
                    var pending = work.InvokeAsync(input, cancellationToken);
                    result = pending.IsCompletedSuccessfully ? pending.Result : await pending.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    WriteError(output, ex);
                    continue;
                }

                WriteResult(output, result, serializer);
            }
        }
    }
}
