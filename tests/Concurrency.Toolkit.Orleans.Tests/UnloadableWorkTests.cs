using System.Buffers.Binary;
using System.Text;
using Concurrency.Toolkit.Orleans.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Concurrency.Toolkit.Orleans.Tests;

/// <summary>
/// Work whose type the silos cannot load. Every assembly of this process is loaded in the in-process silos, so the
/// request is written by hand, as a caller with an assembly the silos lack would send it.
/// </summary>
[Collection(TwoSiloClusterDefinition.Name)]
public sealed class UnloadableWorkTests(ClusterFixture fixture)
{
    [Fact]
    public async Task GrainCall_TypeNotLoadedOnTheSilo_RefusesNamingTheTypeAndTheFixWithoutRunning()
    {
        var grain = fixture.Client.GetGrain<IDistributedWorkGrain>(0);
        var before = fixture.Cluster.Silos.Sum(static s => s.ServiceProvider.GetRequiredService<DistributedWorkHost>().ItemsRun);

        var reply = await grain.RunAsync(Request("Contoso.Jobs.Resize, Contoso.Jobs, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null", "Run"), CancellationToken.None);

        Assert.Equal(DistributedWire.CannotLoad, reply[0]);
        var message = Encoding.UTF8.GetString(reply.AsSpan(5, BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(1))));
        Assert.Contains("Contoso.Jobs.Resize", message, StringComparison.Ordinal);
        Assert.Contains("is not loaded there", message, StringComparison.Ordinal);
        Assert.Contains("Deploy the assembly", message, StringComparison.Ordinal);
        Assert.Contains("Nothing ran", message, StringComparison.Ordinal);
        Assert.Equal(before, fixture.Cluster.Silos.Sum(static s => s.ServiceProvider.GetRequiredService<DistributedWorkHost>().ItemsRun));
    }

    /// <summary>A request of one item as the wire carries it: deadline, call identity, method identity (flags, then metadata), items.</summary>
    private static byte[] Request(string typeName, string methodName)
    {
        var buffer = new PayloadBuffer(256);
        Int64(buffer, TimeSpan.FromSeconds(10).Ticks);
        Int64(buffer, 1);
        Int64(buffer, 1);
        buffer.GetSpan(1)[0] = 1; // The identity carries metadata (and no registered name).
        buffer.Advance(1);
        String(buffer, typeName);
        Guid.NewGuid().TryWriteBytes(buffer.GetSpan(16));
        buffer.Advance(16);
        Int32(buffer, 0x06000001);
        String(buffer, methodName);
        Int32(buffer, 0);
        buffer.GetSpan(1)[0] = 0;
        buffer.Advance(1);
        String(buffer, typeof(Func<int, int>).AssemblyQualifiedName!);
        Int32(buffer, 1);
        Int32(buffer, 1);
        buffer.GetSpan(1)[0] = (byte)'1';
        buffer.Advance(1);
        return buffer.ToArray();
    }

    private static void Int32(PayloadBuffer buffer, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
    }

    private static void Int64(PayloadBuffer buffer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    private static void String(PayloadBuffer buffer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Int32(buffer, bytes.Length);
        bytes.CopyTo(buffer.GetSpan(bytes.Length));
        buffer.Advance(bytes.Length);
    }
}
