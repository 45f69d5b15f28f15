using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Concurrency.Toolkit.Tests.DependencyInjection;

public class ConcurrencyToolkitServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddConcurrencyToolkit_Default_RegistersBuiltInStrategiesAsKeyedSingletons()
    {
        await using var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var threads = sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.ThreadPool);
        var coroutines = sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Coroutine);

        Assert.IsType<ThreadPoolStrategy>(threads);
        Assert.IsType<CoroutineStrategy>(coroutines);
        Assert.Equal(ExecutionStrategyKind.ThreadPool, threads.Kind);
        Assert.Equal(ExecutionStrategyKind.Coroutine, coroutines.Kind);
        Assert.Same(threads, sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.ThreadPool));
        Assert.Equal(42, await threads.RunAsync(static (int x) => x * 2, 21));
        Assert.Equal(3, await coroutines.RunAsync(static async (string s, CancellationToken ct) => { await Task.Yield(); return s.Length; }, "abc"));
    }

    [Fact]
    public async Task AddConcurrencyToolkit_Configure_AppliesOptionsToStrategies()
    {
        var services = new ServiceCollection().AddConcurrencyToolkit(t => t
            .ConfigureThreadPool(o => { o.MaxDegreeOfParallelism = 3; o.Name = "cpu"; })
            .ConfigureCoroutine(o => { o.MaxConcurrency = 7; o.SingleThreaded = true; }));
        await using var sp = services.BuildServiceProvider();

        var threads = Assert.IsType<ThreadPoolStrategy>(sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.ThreadPool));
        var coroutines = Assert.IsType<CoroutineStrategy>(sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Coroutine));

        Assert.Equal(3, threads.MaxDegreeOfParallelism);
        Assert.Equal("cpu", threads.Name);
        Assert.Equal(7, coroutines.MaxDegreeOfParallelism);
        Assert.True(coroutines.IsSingleThreaded);
    }

    [Fact]
    public async Task AddConcurrencyToolkit_CalledTwice_RegistersNothingTwiceAndAppliesBothConfigurations()
    {
        var once = new ServiceCollection().AddConcurrencyToolkit();
        var twice = new ServiceCollection()
            .AddConcurrencyToolkit(t => t.ConfigureThreadPool(o => o.MaxDegreeOfParallelism = 3))
            .AddConcurrencyToolkit(t => t.ConfigureThreadPool(o => o.Name = "second"));

        // Only the two user configurations differ: every other registration is there exactly once.
        static bool IsUserConfiguration(ServiceDescriptor d) => d.ServiceType == typeof(IConfigureOptions<ThreadPoolStrategyOptions>);
        Assert.Equal(once.Count, twice.Count(d => !IsUserConfiguration(d)));
        Assert.Equal(2, twice.Count(IsUserConfiguration));
        Assert.Single(twice, d => d.ServiceType == typeof(IExecutionStrategyProvider));
        Assert.Single(twice, d => d.ServiceType == typeof(IExecutionStrategy) && Equals(d.ServiceKey, ExecutionStrategyKind.ThreadPool));
        Assert.Single(twice, d => d.ServiceType == typeof(IValidateOptions<ThreadPoolStrategyOptions>));

        await using var sp = twice.BuildServiceProvider();
        var threads = sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.ThreadPool);
        Assert.Equal("second", threads.Name);
        Assert.Equal(3, ((ThreadPoolStrategy)threads).MaxDegreeOfParallelism);
    }

    [Fact]
    public async Task AddConcurrencyToolkit_InvalidOptions_FailsStartupValidationNamingTheOption()
    {
        var services = new ServiceCollection().AddConcurrencyToolkit(t => t.ConfigureThreadPool(o => o.MaxDegreeOfParallelism = 0));
        await using var sp = services.BuildServiceProvider();

        // What a host runs when it starts (ValidateOnStart), before anything resolves a strategy.
        var startup = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Equal("ThreadPoolStrategyOptions.MaxDegreeOfParallelism must be between 1 and 1,000,000 (it was 0); it bounds how many items run at once.", startup.Message);

        // Without a host, the first resolution reports the same failure.
        var resolve = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.ThreadPool));
        Assert.Contains("MaxDegreeOfParallelism", resolve.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddConcurrencyToolkit_ValidOptions_PassStartupValidation()
    {
        await using var sp = new ServiceCollection()
            .AddConcurrencyToolkit(t => t.ConfigureCoroutine(o => o.MaxConcurrency = 10))
            .BuildServiceProvider();

        sp.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public async Task AddConcurrencyToolkit_ContainerHasLoggerFactoryAndTimeProvider_OptionsDefaultToThem()
    {
        using var loggerFactory = new StubLoggerFactory();
        var time = new FakeTimeProvider();
        var services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(loggerFactory)
            .AddSingleton<TimeProvider>(time)
            .AddConcurrencyToolkit();
        await using var sp = services.BuildServiceProvider();

        var options = sp.GetRequiredService<IOptions<ThreadPoolStrategyOptions>>().Value;
        Assert.Same(loggerFactory, options.LoggerFactory);
        Assert.Same(time, options.TimeProvider);
    }

    [Fact]
    public async Task AddConcurrencyToolkit_LoggerFactorySetExplicitly_KeepsIt()
    {
        using var containerFactory = new StubLoggerFactory();
        var services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(containerFactory)
            .AddConcurrencyToolkit(t => t.ConfigureCoroutine(o => o.LoggerFactory = NullLoggerFactory.Instance));
        await using var sp = services.BuildServiceProvider();

        Assert.Same(NullLoggerFactory.Instance, sp.GetRequiredService<IOptions<CoroutineStrategyOptions>>().Value.LoggerFactory);
        Assert.Same(containerFactory, sp.GetRequiredService<IOptions<ThreadPoolStrategyOptions>>().Value.LoggerFactory);
    }

    [Fact]
    public async Task DisposeAsync_ServiceProvider_DisposesResolvedStrategies()
    {
        var sp = new ServiceCollection()
            .AddConcurrencyToolkit(t => t.ConfigureThreadPool(o => o.DedicatedThreads = true))
            .BuildServiceProvider();
        var threads = sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.ThreadPool);
        var coroutines = sp.GetRequiredService<IExecutionStrategyProvider>().Get(ExecutionStrategyKind.Coroutine);
        Assert.Equal(2, await threads.RunAsync(static (int x) => x + 1, 1));

        await sp.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await threads.RunAsync(static (int x) => x + 1, 1));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await coroutines.RunAsync(static (int x, CancellationToken _) => ValueTask.FromResult(x), 1));
    }

    [Fact]
    public void Dispose_ServiceProvider_DisposesStrategiesSynchronously()
    {
        var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var threads = sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.ThreadPool);

        sp.Dispose();

        Assert.Throws<ObjectDisposedException>(() => threads.MapAsync(new[] { 1 }, static (int x) => x));
    }

    [Fact]
    public void AddConcurrencyToolkit_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>("services", () => ((IServiceCollection)null!).AddConcurrencyToolkit());
        var services = new ServiceCollection();
        Assert.Throws<ArgumentNullException>("configure", () => services.AddConcurrencyToolkit(t => t.ConfigureThreadPool(null!)));
        Assert.Throws<ArgumentNullException>("configure", () => services.AddConcurrencyToolkit(t => t.ConfigureCoroutine(null!)));
        Assert.Throws<ArgumentNullException>("factory", () => services.AddConcurrencyToolkit(t => t.AddStrategy(ExecutionStrategyKind.ThreadPool, null!)));
    }

    private sealed class StubLoggerFactory : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => NullLogger.Instance;

        public void Dispose()
        {
        }
    }
}
