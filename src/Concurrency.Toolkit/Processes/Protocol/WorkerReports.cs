using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>What a worker reports about the batch it runs, as the host's run of that batch receives it.</summary>
internal interface IBatchReports
{
    /// <summary>Gets the id of the batch whose reports this receives.</summary>
    int BatchId { get; }

    /// <summary>Takes <paramref name="count"/> serialized results for positions from <paramref name="first"/>; each is the next <c>ReadBytes</c> of <paramref name="reader"/>.</summary>
    void OnResults(ref PayloadReader reader, int first, int count);

    /// <summary>Takes <paramref name="count"/> packed results, <paramref name="values"/> back to back, of the primitive with <paramref name="typeCode"/>.</summary>
    void OnPackedResults(ReadOnlySpan<byte> values, int first, int count, byte typeCode);

    /// <summary>Takes the failure of the item at <paramref name="index"/>.</summary>
    void OnItemFailed(int index, ItemFailureKind kind, RemoteError error);

    /// <summary>Takes a failure of every item from <paramref name="from"/> on (the work could not run at all).</summary>
    void OnBatchFailed(int from, RemoteError error);

    /// <summary>Takes the end of the batch: <paramref name="processed"/> items ran, and the worker's working set after them.</summary>
    void OnDone(int processed, long workingSet);
}

/// <summary>Reads the frames a running worker sends the host (the worker writes them through its output).</summary>
internal static class WorkerReports
{
    /// <summary>
    /// Reads one frame and hands it to <paramref name="run"/> when it is about that run's batch (reports about a batch the
    /// host gave up on are dropped).
    /// </summary>
    /// <exception cref="ProtocolViolationException">The frame is not a report, or it is malformed.</exception>
    public static void Route(in Frame frame, IBatchReports? run)
    {
        try
        {
            var reader = new PayloadReader(frame.Payload);
            var batchId = reader.ReadInt32();
            var target = run is not null && run.BatchId == batchId ? run : null;
            switch (frame.Type)
            {
                case FrameType.Results:
                    target?.OnResults(ref reader, reader.ReadInt32(), reader.ReadInt32());
                    return;
                case FrameType.PackedResults:
                    var (first, count, typeCode) = (reader.ReadInt32(), reader.ReadInt32(), reader.ReadByte());
                    target?.OnPackedResults(reader.Take(reader.Remaining), first, count, typeCode);
                    return;
                case FrameType.ItemFailed:
                    target?.OnItemFailed(reader.ReadInt32(), (ItemFailureKind)reader.ReadByte(), RemoteError.Read(ref reader));
                    return;
                case FrameType.BatchFailed:
                    target?.OnBatchFailed(reader.ReadInt32(), RemoteError.Read(ref reader));
                    return;
                case FrameType.BatchDone:
                    var processed = reader.ReadInt32();
                    var workingSet = reader.ReadInt64();
                    target?.OnDone(processed, Math.Max(0, workingSet));
                    return;
                default:
                    throw new ProtocolViolationException($"Unexpected {frame.Type} frame from a running worker.");
            }
        }
        catch (InvalidDataException ex)
        {
            throw new ProtocolViolationException(ex.Message, ex);
        }
    }
}
