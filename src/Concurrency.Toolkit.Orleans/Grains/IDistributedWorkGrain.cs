namespace Concurrency.Toolkit.Orleans.Grains;

/// <summary>
/// The one grain call of the distributed strategy: a batch of items of one shipped method in, one outcome per
/// item out, both as the bytes that <see cref="DistributedWire"/> writes (the same method identity and work
/// serializer as the process strategy, so that Orleans never has to know the user's types).
/// </summary>
internal interface IDistributedWorkGrain : IGrainWithIntegerKey
{
    /// <summary>Runs the batch in order; the token is the caller's cancellation and per-call deadline, carried by Orleans.</summary>
    Task<byte[]> RunAsync(byte[] request, CancellationToken cancellationToken);
}
