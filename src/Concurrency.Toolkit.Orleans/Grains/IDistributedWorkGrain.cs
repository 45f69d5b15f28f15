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

    /// <summary>
    /// Tells which of the caller's calls are running on the silo that answers. Sent with the same grain key as the
    /// calls asked about, so that it takes their route (<see cref="LostCallDetector"/>).
    /// </summary>
    /// <param name="caller">The strategy instance that made the calls.</param>
    /// <param name="calls">The calls to look for.</param>
    /// <param name="cancellationToken">The probe's own deadline.</param>
    /// <returns>The answering silo's identity, then the calls that are running there.</returns>
    Task<long[]> FindRunningAsync(long caller, long[] calls, CancellationToken cancellationToken);
}
