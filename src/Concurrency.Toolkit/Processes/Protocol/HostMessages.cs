using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// The frames a host sends a running worker: the definition of a work id, a batch of inputs (see
/// <see cref="BatchFrameWriter"/>), a cancellation, a shutdown. The host side knows their layouts only through here.
/// </summary>
internal static class HostMessages
{
    /// <summary>
    /// The bytes of a batch frame before its items: header, batch id, work id, item count, and for a packed batch the
    /// primitive's type code. Sizes are checked against the larger of the two, so either kind of frame fits.
    /// </summary>
    public const int BatchHeaderBytes = ProtocolConstants.HeaderSize + 13;

    /// <summary>What one item adds to a batch frame besides its own bytes: a length, unless the batch is packed.</summary>
    public static int ItemOverhead(bool packed) => packed ? 0 : 4;

    /// <summary>
    /// Tells the worker which shipped method <paramref name="workId"/> stands for in later batches, and the names of the
    /// cultures its items run in (the caller's current culture and UI culture).
    /// </summary>
    public static ReadOnlyMemory<byte> DefineWork(int workId, ShippedMethod method, string culture, string uiCulture)
    {
        var frame = new FrameBuffer(512);
        frame.Begin(FrameType.DefineWork);
        frame.WriteInt32(workId);
        method.Write(frame);
        frame.WriteString(culture);
        frame.WriteString(uiCulture);
        return frame.Complete();
    }

    /// <summary>Asks the worker to stop batch <paramref name="batchId"/>: its running item sees the token, no further item starts.</summary>
    public static ReadOnlyMemory<byte> Cancel(int batchId)
    {
        var frame = new FrameBuffer(16);
        frame.Begin(FrameType.Cancel);
        frame.WriteInt32(batchId);
        return frame.Complete();
    }

    /// <summary>Asks the worker to exit.</summary>
    public static ReadOnlyMemory<byte> Shutdown()
    {
        var frame = new FrameBuffer(8);
        frame.Begin(FrameType.Shutdown);
        return frame.Complete();
    }

    /// <summary>Reads a <see cref="FrameType.DefineWork"/> frame's body (worker side).</summary>
    public static (int WorkId, ShippedMethod Method, string Culture, string UICulture) ReadDefineWork(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        var id = reader.ReadInt32();
        var method = ShippedMethod.Read(ref reader);
        return (id, method, reader.ReadRequiredString(), reader.ReadRequiredString());
    }

    /// <summary>Reads a <see cref="FrameType.Cancel"/> frame's body (worker side): the batch to stop.</summary>
    public static int ReadCancel(ReadOnlySpan<byte> payload) => new PayloadReader(payload).ReadInt32();
}
