using System.Diagnostics.CodeAnalysis;
using Orleans.GrainDirectory;
using Orleans.Metadata;
using Orleans.Runtime.GrainDirectory;

namespace Concurrency.Toolkit.Orleans;

/// <summary>
/// The worker grain's directory on a silo: it knows no activation anywhere, so a silo places a worker for a call
/// (always locally, the grain being a stateless worker) without asking another silo first.
/// </summary>
/// <remarks>
/// Stateless workers are never registered in a directory, yet with the default one a silo asks the silo that owns
/// the grain's directory partition before placing it. Once that silo is lost, and until the cluster declares it dead
/// (tens of seconds), every call for a key that silo's partition held stalls or is refused, on the silos left too:
/// exactly the calls sent again after the loss. This directory removes that dependency.
/// </remarks>
internal sealed class LocalWorkerDirectory : IGrainDirectory, IGrainDirectoryResolver
{
    /// <summary>The worker grain's type name, fixed so that this directory can recognise it.</summary>
    public const string GrainTypeName = "distributedwork";

    private static readonly GrainType WorkerType = GrainType.Create(GrainTypeName);

    public bool TryResolveGrainDirectory(GrainType grainType, GrainProperties? properties, [NotNullWhen(true)] out IGrainDirectory? grainDirectory)
    {
        grainDirectory = grainType.Equals(WorkerType) ? this : null;
        return grainDirectory is not null;
    }

    public Task<GrainAddress?> Register(GrainAddress address) => Task.FromResult<GrainAddress?>(address);

    public Task Unregister(GrainAddress address) => Task.CompletedTask;

    public Task<GrainAddress?> Lookup(GrainId grainId) => Task.FromResult<GrainAddress?>(null);

    public Task UnregisterSilos(List<SiloAddress> siloAddresses) => Task.CompletedTask;
}
