using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit.Tests.DependencyInjection;

public class ClassifierRegistrationTests
{
    [Fact]
    public async Task AddConcurrencyToolkit_Classifier_IsResolvableAndUsesConfiguredOptions()
    {
        var services = new ServiceCollection();
        services.AddConcurrencyToolkit(t => t.ConfigureClassifier(o => o.SampleCount = 3));
        await using var sp = services.BuildServiceProvider();

        var classifier = sp.GetRequiredService<IWorkloadClassifier>();
        var recommendation = classifier.Recommend(new WorkloadProfile { Traits = WorkloadTraits.IoBound | WorkloadTraits.Asynchronous });

        Assert.Equal(ExecutionStrategyKind.Coroutine, recommendation.Strategy);
        Assert.Equal(3, sp.GetRequiredService<IOptions<WorkloadClassifierOptions>>().Value.SampleCount);
        Assert.Same(classifier, sp.GetRequiredService<IWorkloadClassifier>());
    }

    [Fact]
    public async Task AddConcurrencyToolkit_AutoKind_ResolvesAdaptiveStrategyThatRunsWork()
    {
        var services = new ServiceCollection();
        services.AddConcurrencyToolkit(t => t.ConfigureAdaptive(o => o.SampleCount = 2));
        await using var sp = services.BuildServiceProvider();

        var auto = sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Auto);
        Assert.Equal(ExecutionStrategyKind.Auto, auto.Kind);
        Assert.Same(auto, sp.GetRequiredService<IExecutionStrategyProvider>().Get(ExecutionStrategyKind.Auto));

        var results = new List<int>();
        await foreach (var r in auto.MapAsync(Enumerable.Range(0, 50), static x => x * 2))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(x => x * 2), results);
    }

    [Fact]
    public async Task AddConcurrencyToolkit_InvalidClassifierOptions_FailValidationNamingTheOption()
    {
        var services = new ServiceCollection();
        services.AddConcurrencyToolkit(t => t.ConfigureClassifier(o => o.SampleCount = 0));
        await using var sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<WorkloadClassifierOptions>>().Value);
        Assert.Contains(nameof(WorkloadClassifierOptions.SampleCount), ex.Message);
    }

    [Fact]
    public void AddConcurrencyToolkit_CalledTwice_RegistersClassifierOnce()
    {
        var services = new ServiceCollection();
        services.AddConcurrencyToolkit();
        services.AddConcurrencyToolkit();

        Assert.Single(services, d => d.ServiceType == typeof(IWorkloadClassifier));
        Assert.Single(services, d => d.ServiceType == typeof(IExecutionStrategy) && Equals(d.ServiceKey, ExecutionStrategyKind.Auto));
    }
}
