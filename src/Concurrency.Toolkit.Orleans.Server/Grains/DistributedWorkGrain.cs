using Orleans.Concurrency;

namespace Concurrency.Toolkit.Orleans.Grains;

/// <summary>
/// A stateless worker: Orleans activates it on the silo that receives the call, so batches spread over the silos
/// the client's gateways reach.
/// </summary>
/// <remarks>
/// It holds no state, so it is reentrant and runs each batch on the silo's thread pool: the activation's turn only
/// awaits and batches of blocking work run in parallel on the silo's cores, so one activation per key and silo is
/// enough. One it must be: Orleans routes a call's cancellation to the grain, and with several local activations
/// it can reach one that is not running the call (dotnet/orleans#9877). How many batches run at once is the
/// callers' <see cref="OrleansStrategyOptions.MaxConcurrentCalls"/>. Its grain type name is fixed, because the
/// silos give this type a directory of its own (<see cref="LocalWorkerDirectory"/>).
/// </remarks>
[StatelessWorker(1)]
[Reentrant]
[GrainType(LocalWorkerDirectory.GrainTypeName)]
internal sealed class DistributedWorkGrain(DistributedWorkHost host) : Grain, IDistributedWorkGrain
{
    public Task<byte[]> RunAsync(byte[] request, CancellationToken cancellationToken) => host.RunAsync(request, cancellationToken);

    public Task<long[]> FindRunningAsync(long caller, long[] calls, CancellationToken cancellationToken) => Task.FromResult(host.FindRunning(caller, calls));
}
