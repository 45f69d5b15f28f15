namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>The kinds of frame between a host and its workers. The first byte of every frame's body.</summary>
internal enum FrameType : byte
{
    /// <summary>Worker to host, first frame: protocol version, worker id, process id, authentication token.</summary>
    Hello = 1,

    /// <summary>Host to worker after a valid hello: the serializer factory and the initializer to run.</summary>
    Welcome = 2,

    /// <summary>Worker to host: initialized, ready for work.</summary>
    Ready = 3,

    /// <summary>Worker to host: the serializer factory or the initializer failed; the worker exits.</summary>
    InitFailed = 4,

    /// <summary>Host to worker: a work id and the shipped method it stands for.</summary>
    DefineWork = 10,

    /// <summary>Host to worker: a batch id, a work id and the serialized inputs, run in order.</summary>
    Batch = 11,

    /// <summary>Host to worker: cancel a batch (the running item's token; no further items start).</summary>
    Cancel = 12,

    /// <summary>Host to worker: exit now.</summary>
    Shutdown = 13,

    /// <summary>Host to worker: a batch id, a work id, a count, a primitive type code and the inputs as one block of values.</summary>
    PackedBatch = 14,

    /// <summary>
    /// Host to worker, a batch frame, or worker to host, a results frame, whose body is in a shared-memory segment (its
    /// type, its length, the segment's path); see <see cref="SharedFrames"/>.
    /// </summary>
    SharedFrame = 15,

    /// <summary>Host to worker: unmap the shared segment of this path (the worker is idle, or gone on to another segment).</summary>
    ReleaseShared = 16,

    /// <summary>Host to worker: the results frame last sent through the worker's own segment was read; the worker may write the segment again.</summary>
    SharedResultsRead = 17,

    /// <summary>Worker to host: serialized results of consecutive items of a batch.</summary>
    Results = 20,

    /// <summary>Worker to host: one item failed (the work threw, a value did not serialize, or it was cancelled).</summary>
    ItemFailed = 21,

    /// <summary>Worker to host: a batch ended; how many items ran and the worker's working set.</summary>
    BatchDone = 22,

    /// <summary>Worker to host: results of consecutive items as one block of primitive values, after their type code.</summary>
    PackedResults = 24,

    /// <summary>Worker to host: a batch could not run from some item on (for example the work could not be found).</summary>
    BatchFailed = 23,
}
