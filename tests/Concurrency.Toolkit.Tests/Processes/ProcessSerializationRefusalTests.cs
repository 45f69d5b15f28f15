using Concurrency.Toolkit.Tests.Shipping;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>What would not cross intact is refused with <see cref="WorkSerializationException"/>, never delivered changed.</summary>
public class ProcessSerializationRefusalTests
{
    [Fact]
    public async Task RunAsync_InputTypeWouldLoseData_RefusedBeforeAnythingIsSent()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var ex = await Assert.ThrowsAsync<WorkSerializationException>(async () => await s.RunAsync(static (GetOnlyAutoProperty g) => g.Items.Count, new GetOnlyAutoProperty { Items = { 1, 2 } }));
        Assert.Equal(typeof(GetOnlyAutoProperty).FullName, ex.TypeName);
        Assert.Contains("Items", ex.Message);
        Assert.Empty(s.WorkerProcessIds);
    }

    [Fact]
    public async Task MapAsync_ResultTypeWouldLoseData_RefusedBeforeAnythingIsSent()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var ex = await Assert.ThrowsAsync<WorkSerializationException>(async () =>
        {
            await foreach (var _ in s.MapAsync(Enumerable.Range(0, 3), static x => new ObjectMember { Payload = x }))
            {
            }
        });
        Assert.Equal(typeof(ObjectMember).FullName, ex.TypeName);
        Assert.Contains("Payload", ex.Message);
        Assert.Empty(s.WorkerProcessIds);
    }

    [Fact]
    public async Task MapUnorderedAsync_InputOfADerivedType_OnlyThatItemFails()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        Animal[] inputs = [new() { Name = "a" }, new Dog { Name = "b", Barks = true }, new() { Name = "c" }];
        var outcomes = new List<WorkOutcome<Animal, string?>>();
        await foreach (var o in s.MapUnorderedAsync(inputs, static a => a.Name))
        {
            outcomes.Add(o);
        }

        Assert.Equal(3, outcomes.Count);
        var failed = Assert.Single(outcomes, o => !o.IsSuccess);
        Assert.Equal(1, failed.Index);
        var ex = Assert.IsType<WorkSerializationException>(failed.Exception);
        Assert.Contains(typeof(Dog).FullName!, ex.Message);
        Assert.Equal(["a", "c"], outcomes.Where(o => o.IsSuccess).Select(o => o.Result).Order());
        await Assert.ThrowsAsync<WorkSerializationException>(async () => await s.RunAsync(static (Animal a) => a.Name, new Dog()));
    }

    [Fact]
    public async Task RunAsync_ResultOfADerivedType_ThatItemFailsAndWorkerLives()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        var ex = await Assert.ThrowsAsync<WorkSerializationException>(async () => await s.RunAsync(static (string name) => (Animal)new Dog { Name = name }, "rex"));
        Assert.Contains(typeof(Dog).FullName!, ex.Message);
        Assert.Equal("rex", (await s.RunAsync(static (string name) => new Animal { Name = name }, "rex")).Name);
        Assert.Equal(pid, await s.RunAsync(ProcessWork.Pid, 0));
    }

    [Fact]
    public async Task RunAsync_SerializerOfYourOwn_ItDecidesWhatCrosses()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, SerializerFactory = ProcessWork.OffsetSerializer });
        Assert.Equal("1", await s.RunAsync(static (ObjectMember m) => m.Payload?.ToString(), new ObjectMember { Payload = 1 }));
    }
}
