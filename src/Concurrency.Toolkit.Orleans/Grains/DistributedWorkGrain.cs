using Orleans.Concurrency;

namespace Concurrency.Toolkit.Orleans.Grains;

/// <summary>
/// A stateless worker: Orleans activates it on the silo that receives the call, so batches spread over the silos
/// the client's gateways reach.
/// </summary>
/// <remarks>
/// It holds no state, so it is reentrant and runs each batch on the silo's thread pool: the activation's turn only
/// awaits, batches of blocking work run in parallel on the silo's cores, and the cancellation of a call reaches a
/// busy activation. How many batches run at once is the callers' <see cref="OrleansStrategyOptions.MaxConcurrentCalls"/>.
/// </remarks>
[StatelessWorker]
[Reentrant]
internal sealed class DistributedWorkGrain(DistributedWorkHost host) : Grain, IDistributedWorkGrain
{
    public Task<byte[]> RunAsync(byte[] request, CancellationToken cancellationToken)
        => Task.Run(() => host.RunAsync(request, cancellationToken), CancellationToken.None);
}
