namespace Concurrency.Toolkit.Tests.Internal;

/// <summary>A map enumerator that is never read must leave nothing behind on tokens that outlive it.</summary>
[Collection(HeapMeasurements.Name)]
public sealed class MapRunRegistrationTests
{
    [Theory]
    [MemberData(nameof(MapRunTests.Strategies), MemberType = typeof(MapRunTests))]
    public async Task GetAsyncEnumerator_DisposedWithoutReading_LeavesNothingOnLongLivedTokens(string kind)
    {
        await using var strategy = MapRunTests.Create(kind, 4);
        using var cts = new CancellationTokenSource();
        var map = strategy.MapUnorderedAsync(Enumerable.Range(0, 10), static x => x, cancellationToken: cts.Token);
        await using (var warm = map.GetAsyncEnumerator(cts.Token))
        {
        }

        // A registration left on the caller's token (or the strategy's) keeps its linked source alive with the token.
        const int enumerators = 50_000;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < enumerators; i++)
        {
            var e = map.GetAsyncEnumerator(cts.Token);
            await e.DisposeAsync();
        }

        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(cts);
        Assert.True(retained < 4_000_000, $"{enumerators} enumerators disposed unread left {retained:N0} bytes reachable");
    }
}
