using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit.Tests.DependencyInjection;

public class ExecutionStrategyProviderTests
{
    private const ExecutionStrategyKind CustomKind = (ExecutionStrategyKind)42;

    [Fact]
    public async Task Get_RegisteredKind_ReturnsTheKeyedSingleton()
    {
        await using var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();

        Assert.Same(sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.ThreadPool), provider.Get(ExecutionStrategyKind.ThreadPool));
        Assert.Same(sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Coroutine), provider.Get(ExecutionStrategyKind.Coroutine));
        Assert.Same(provider, sp.GetRequiredService<IExecutionStrategyProvider>());
    }

    [Fact]
    public async Task Get_UnregisteredKind_ThrowsNamingTheKindAndHowToRegisterIt()
    {
        await using var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();

        var ex = Assert.Throws<InvalidOperationException>(() => provider.Get((ExecutionStrategyKind)99));

        Assert.Contains("kind '99'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AddStrategy((ExecutionStrategyKind)99", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ThreadPool", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Coroutine", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddStrategy_CustomKind_IsResolvableByKeyAndThroughTheProvider()
    {
        var services = new ServiceCollection().AddConcurrencyToolkit(t => t
            .AddStrategy(CustomKind, static _ => new ThreadPoolStrategy(new ThreadPoolStrategyOptions { Name = "custom", MaxDegreeOfParallelism = 2 })));
        await using var sp = services.BuildServiceProvider();

        var custom = sp.GetRequiredService<IExecutionStrategyProvider>().Get(CustomKind);

        Assert.Equal("custom", custom.Name);
        Assert.Same(custom, sp.GetRequiredKeyedService<IExecutionStrategy>(CustomKind));
        Assert.Equal(10, await custom.RunAsync(static (int x) => x * 10, 1));
        Assert.IsType<ThreadPoolStrategy>(sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.ThreadPool));
    }

    [Fact]
    public async Task AddStrategyWithOptions_CustomKind_BindsValidatesAndDisposes()
    {
        var services = new ServiceCollection()
            .AddConcurrencyToolkit(t => t.AddStrategy<CustomOptions>(CustomKind, static (_, o) => new CoroutineStrategy(new CoroutineStrategyOptions { Name = o.Name, MaxConcurrency = o.Width })));
        services.Configure<CustomOptions>(o => { o.Name = "custom"; o.Width = 5; });
        var sp = services.BuildServiceProvider();

        sp.GetRequiredService<IStartupValidator>().Validate();
        var custom = sp.GetRequiredService<IExecutionStrategyProvider>().Get(CustomKind);
        Assert.Equal("custom", custom.Name);
        Assert.Equal(5, ((CoroutineStrategy)custom).MaxDegreeOfParallelism);

        await sp.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await custom.RunAsync(static (int x) => x, 1));
    }

    [Fact]
    public async Task AddStrategyWithOptions_InvalidOptions_FailsStartupValidation()
    {
        var services = new ServiceCollection()
            .AddConcurrencyToolkit(t => t.AddStrategy<CustomOptions>(CustomKind, static (_, o) => new ThreadPoolStrategy()));
        services.Configure<CustomOptions>(o => o.Width = -1);
        await using var sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("CustomOptions.Width", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddStrategy_BuiltInKind_ReplacesTheBuiltInRegistration()
    {
        var services = new ServiceCollection()
            .AddConcurrencyToolkit(t => t.AddStrategy(ExecutionStrategyKind.ThreadPool, static _ => new ThreadPoolStrategy(new ThreadPoolStrategyOptions { Name = "mine" })))
            .AddConcurrencyToolkit();
        await using var sp = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(IExecutionStrategy) && Equals(d.ServiceKey, ExecutionStrategyKind.ThreadPool));
        Assert.Equal("mine", sp.GetRequiredService<IExecutionStrategyProvider>().Get(ExecutionStrategyKind.ThreadPool).Name);
    }

    public sealed class CustomOptions : ExecutionStrategyOptions
    {
        public int Width { get; set; } = 1;

        public override void Validate()
        {
            base.Validate();
            if (Width < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(Width), Width, $"{nameof(CustomOptions)}.{nameof(Width)} must be at least 1.");
            }
        }
    }
}
