namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>Why a worker reports an item as failed.</summary>
internal enum ItemFailureKind : byte
{
    /// <summary>The work threw.</summary>
    Threw = 0,

    /// <summary>The input could not be deserialized in the worker.</summary>
    InputNotDeserializable = 1,

    /// <summary>The result could not be serialized (or was larger than a frame may be).</summary>
    ResultNotSerializable = 2,

    /// <summary>The item observed the batch's cancellation.</summary>
    Cancelled = 3,
}
