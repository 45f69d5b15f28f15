using Orleans.Concurrency;

namespace Concurrency.Toolkit.Orleans.Grains;

/// <summary>
/// A stateless worker: Orleans activates it on the silo that receives the call and adds activations under load,
/// so batches spread over the silos the client's gateways reach and over the cores of each.
/// </summary>
[StatelessWorker]
internal sealed class DistributedWorkGrain(DistributedWorkHost host) : Grain, IDistributedWorkGrain
{
    public Task<byte[]> RunAsync(byte[] request, CancellationToken cancellationToken)
        => host.RunAsync(request, cancellationToken);
}
