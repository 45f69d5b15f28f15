using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

public class ProcessDependencyInjectionTests
{
    [Fact]
    public async Task AddConcurrencyToolkit_ProcessKey_ConfiguredStrategyWhoseWorkersDieWithTheContainer()
    {
        var services = new ServiceCollection().AddConcurrencyToolkit(t => t.ConfigureProcess(o => o.WorkerCount = 1));
        int pid;
        await using (var sp = services.BuildServiceProvider())
        {
            var process = Assert.IsType<ProcessStrategy>(sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Process));
            Assert.Same(process, sp.GetRequiredService<IExecutionStrategyProvider>().Get(ExecutionStrategyKind.Process));
            Assert.Equal(1, process.WorkerCount);
            pid = await process.RunAsync(ProcessWork.Pid, 0);
            Assert.True(IsAlive(pid));
        }

        Assert.False(IsAlive(pid), "the worker outlived the container");
    }

    [Fact]
    public void AddConcurrencyToolkit_InvalidProcessOptions_FailValidationNamingTheOption()
    {
        var services = new ServiceCollection().AddConcurrencyToolkit(t => t.ConfigureProcess(o => o.WorkerCount = 0));
        using var sp = services.BuildServiceProvider();
        var ex = Assert.ThrowsAny<Exception>(() => sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Process));
        Assert.True(ex is OptionsValidationException or ArgumentException, ex.ToString());
        Assert.Contains(nameof(ProcessStrategyOptions.WorkerCount), ex.Message);
    }
}
