namespace Concurrency.Toolkit.Tests.Classification;

/// <summary>Every rule and threshold of <see cref="WorkloadClassifier.Recommend"/>, on synthetic profiles.</summary>
public class WorkloadClassifierRulesTests
{
    private static readonly WorkloadClassifier TwoCores = new(new WorkloadClassifierOptions { ProcessorCount = 2 });

    private static WorkloadProfile Measured(double cpu, double? speedup = null, bool? isAsync = false, double? contentions = null, long? bytes = 100)
        => new()
        {
            CpuShare = cpu,
            MedianItemDuration = TimeSpan.FromMilliseconds(10),
            AllocatedBytesPerItem = bytes,
            IsAsynchronous = isAsync,
            ScalingSpeedup = speedup,
            ScalingThreads = speedup is null ? null : 2,
            LockContentionsPerItem = contentions,
            SampleCount = 16,
        };

    [Fact]
    public void Recommend_CpuBoundAndScales_ThreadPoolWithOneThreadPerCore()
    {
        var r = TwoCores.Recommend(Measured(0.97, speedup: 1.96));

        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.Equal(WorkloadKind.CpuBound, r.Workload);
        Assert.Equal(2, r.MaxDegreeOfParallelism);
        Assert.False(r.UseDedicatedThreads);
        Assert.Equal("CPU-bound (CPU 97% of wall time) and scales on threads (1.96× on 2 threads): ThreadPool with 2 threads", r.Reason);
    }

    [Fact]
    public void Recommend_CpuBoundNotScalingUnderALock_ProcessWithOneWorkerPerCore()
    {
        var r = TwoCores.Recommend(Measured(0.95, speedup: 1.02, contentions: 3.1));

        Assert.Equal(ExecutionStrategyKind.Process, r.Strategy);
        Assert.Equal(WorkloadKind.CpuBound, r.Workload);
        Assert.Equal(2, r.MaxDegreeOfParallelism);
        Assert.Equal("CPU-bound (CPU 95% of wall time) but does not scale on threads (1.02× on 2 threads; a lock: 3.1 contentions per item): Process with 2 workers", r.Reason);
    }

    [Fact]
    public void Recommend_CpuBoundNotScalingUnderGcPressure_ReasonNamesTheAllocation()
    {
        var r = TwoCores.Recommend(Measured(0.9, speedup: 1.1, bytes: 8 << 20));

        Assert.Equal(ExecutionStrategyKind.Process, r.Strategy);
        Assert.Contains("GC pressure: 8 MB allocated per item", r.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.09, ExecutionStrategyKind.ThreadPool)]
    [InlineData(0.1, ExecutionStrategyKind.Process)]
    public void Recommend_CpuBoundNotScalingShortItems_StaysOnThreadsBelowMinProcessItemDuration(double medianMs, ExecutionStrategyKind expected)
    {
        var r = TwoCores.Recommend(Measured(0.95, speedup: 1.0) with { MedianItemDuration = TimeSpan.FromMilliseconds(medianMs) });

        Assert.Equal(expected, r.Strategy);
        if (expected == ExecutionStrategyKind.ThreadPool)
        {
            Assert.Contains("too short for worker processes to pay off", r.Reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0.24, ExecutionStrategyKind.Process)]
    [InlineData(0.25, ExecutionStrategyKind.ThreadPool)]
    public void Recommend_NoScalingOnABusyMachine_InconclusiveSoThreads(double coreWait, ExecutionStrategyKind expected)
    {
        var r = TwoCores.Recommend(Measured(0.95, speedup: 1.0) with { ScalingCoreWaitShare = coreWait });

        Assert.Equal(expected, r.Strategy);
        if (expected == ExecutionStrategyKind.ThreadPool)
        {
            Assert.Equal("CPU-bound (CPU 95% of wall time), scaling inconclusive (1.00× on 2 threads, but the threads waited 25% of the probe for a core: the machine is busy): ThreadPool with 2 threads", r.Reason);
        }
    }

    [Fact]
    public void Recommend_NoScalingOnABusyMachineWithLockContention_ProcessBecauseTheLockExplainsIt()
    {
        var r = TwoCores.Recommend(Measured(0.95, speedup: 1.0, contentions: 0.5) with { ScalingCoreWaitShare = 0.6 });

        Assert.Equal(ExecutionStrategyKind.Process, r.Strategy);
        Assert.Contains("a lock: 0.5 contentions per item", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_BusyMachineThreadsMostlyWorking_ScalesDespiteNoSpeedup()
    {
        var r = TwoCores.Recommend(Measured(0.97, speedup: 1.0) with { ScalingCoreWaitShare = 0.6, ScalingWorkShare = 0.98 });

        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.Equal("CPU-bound (CPU 97% of wall time) and scales on threads (2 threads did the work 98% of the time they had a core or waited on each other; judged by that, not by the 1.00× speed-up, as the machine was busy): ThreadPool with 2 threads", r.Reason);
    }

    [Fact]
    public void Recommend_BusyMachineThreadsOftenWaitingOnEachOther_DoesNotScaleDespiteASpeedup()
    {
        var r = TwoCores.Recommend(Measured(0.97, speedup: 1.5, contentions: 0.6) with { ScalingCoreWaitShare = 0.4, ScalingWorkShare = 0.52 });

        Assert.Equal(ExecutionStrategyKind.Process, r.Strategy);
        Assert.Contains("did the work 52% of the time", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_BusyMachineUnderGcPressure_SpeedupDecidesNotWorkShare()
    {
        // Regression: allocation-heavy work (4 MB per item) that did not scale was sent to threads because, on a busy
        // machine, the threads' work share (which includes the collector's work they do) read as 100%.
        var r = TwoCores.Recommend(Measured(0.99, speedup: 0.98, bytes: 4 * 1024 * 1024) with
        {
            MedianItemDuration = TimeSpan.FromMilliseconds(0.23),
            ScalingCoreWaitShare = 0.4,
            ScalingWorkShare = 1.0,
        });

        Assert.Equal(ExecutionStrategyKind.Process, r.Strategy);
        Assert.Contains("GC pressure: 4 MB allocated per item", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_IdleMachine_SpeedupDecidesNotWorkShare()
    {
        var r = TwoCores.Recommend(Measured(0.97, speedup: 1.9) with { ScalingCoreWaitShare = 0.01, ScalingWorkShare = 0.1 });

        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.Contains("1.90× on 2 threads", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_ScalesOnABusyMachine_StillThreads()
    {
        Assert.Equal(ExecutionStrategyKind.ThreadPool, TwoCores.Recommend(Measured(0.95, speedup: 1.9) with { ScalingCoreWaitShare = 0.9 }).Strategy);
    }

    [Fact]
    public void Recommend_CpuBoundScalingNotMeasured_ThreadPoolAssumingItScales()
    {
        var r = TwoCores.Recommend(Measured(0.9));

        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.Equal(2, r.MaxDegreeOfParallelism);
        Assert.Contains("not measured", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_CpuBoundOnOneCore_ThreadPoolWithOneThread()
    {
        var classifier = new WorkloadClassifier(new WorkloadClassifierOptions { ProcessorCount = 1 });

        var r = classifier.Recommend(Measured(0.99, speedup: 1.0));

        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.Equal(1, r.MaxDegreeOfParallelism);
        Assert.Contains("single core", r.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.6, ExecutionStrategyKind.ThreadPool)]   // 1.2× on 2 threads: exactly the default efficiency threshold
    [InlineData(0.59, ExecutionStrategyKind.Process)]
    public void Recommend_ScalingEfficiencyThreshold_DecidesThreadsOrProcesses(double efficiency, ExecutionStrategyKind expected)
    {
        var r = TwoCores.Recommend(Measured(0.95, speedup: efficiency * 2));

        Assert.Equal(expected, r.Strategy);
    }

    [Fact]
    public void Recommend_CustomScalingThreshold_IsHonoured()
    {
        var strict = new WorkloadClassifier(new WorkloadClassifierOptions { ProcessorCount = 2, ScalingEfficiencyThreshold = 0.9 });

        Assert.Equal(ExecutionStrategyKind.Process, strict.Recommend(Measured(0.95, speedup: 1.7)).Strategy);
        Assert.Equal(ExecutionStrategyKind.ThreadPool, TwoCores.Recommend(Measured(0.95, speedup: 1.7)).Strategy);
    }

    [Fact]
    public void Recommend_IoBoundAsynchronous_CoroutineSizedFromTheWaitTime()
    {
        var r = TwoCores.Recommend(Measured(0.01, isAsync: true));

        Assert.Equal(ExecutionStrategyKind.Coroutine, r.Strategy);
        Assert.Equal(WorkloadKind.IoBound, r.Workload);
        Assert.Equal(800, r.MaxDegreeOfParallelism);
        Assert.Equal("I/O-bound (CPU 1% of wall time) and asynchronous: Coroutine with 800 items in flight (2 cores / 1% CPU, Goetz's rule, ×4 for awaiting items)", r.Reason);
    }

    [Fact]
    public void Recommend_IoBoundAsynchronousNoHeadroom_GoetzCountExactly()
    {
        var exact = new WorkloadClassifier(new WorkloadClassifierOptions { ProcessorCount = 2, AsyncConcurrencyHeadroom = 1 });

        var r = exact.Recommend(Measured(0.01, isAsync: true));

        Assert.Equal(200, r.MaxDegreeOfParallelism);
        Assert.Equal("I/O-bound (CPU 1% of wall time) and asynchronous: Coroutine with 200 items in flight (2 cores / 1% CPU, Goetz's rule)", r.Reason);
    }

    [Fact]
    public void Recommend_IoBoundAsynchronousAlmostNoCpu_CappedAtMaxConcurrency()
    {
        var r = TwoCores.Recommend(Measured(0.0001, isAsync: true));

        Assert.Equal(ExecutionStrategyKind.Coroutine, r.Strategy);
        Assert.Equal(1000, r.MaxDegreeOfParallelism);
        Assert.Contains("capped at 1000", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_IoBoundBlocking_DedicatedThreadsByGoetzRule()
    {
        var r = TwoCores.Recommend(Measured(0.05, isAsync: false));

        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.Equal(WorkloadKind.IoBound, r.Workload);
        Assert.True(r.UseDedicatedThreads);
        Assert.Equal(40, r.MaxDegreeOfParallelism);
        Assert.Equal("I/O-bound (CPU 5% of wall time) and blocking: ThreadPool on 40 dedicated threads (2 cores / 5% CPU, Goetz's rule)", r.Reason);
    }

    [Fact]
    public void Recommend_IoBoundBlockingAlmostNoCpu_CappedAtMaxThreads()
    {
        var classifier = new WorkloadClassifier(new WorkloadClassifierOptions { ProcessorCount = 2, MaxThreads = 64 });

        var r = classifier.Recommend(Measured(0.001, isAsync: false));

        Assert.Equal(64, r.MaxDegreeOfParallelism);
        Assert.True(r.UseDedicatedThreads);
        Assert.Contains("capped at 64", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_MixedBlocking_DedicatedThreadPoolByGoetzRule()
    {
        var r = TwoCores.Recommend(Measured(0.5, isAsync: false));

        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.Equal(WorkloadKind.Mixed, r.Workload);
        Assert.Equal(4, r.MaxDegreeOfParallelism);
        Assert.True(r.UseDedicatedThreads);
        Assert.Equal("Mixed (CPU 50% of wall time) and blocking: ThreadPool on 4 dedicated threads (2 cores / 50% CPU, Goetz's rule)", r.Reason);
    }

    [Fact]
    public void Recommend_MixedAsynchronous_SharedThreadPoolByGoetzRule()
    {
        var r = TwoCores.Recommend(Measured(0.4, isAsync: true));

        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.Equal(WorkloadKind.Mixed, r.Workload);
        Assert.Equal(5, r.MaxDegreeOfParallelism);
        Assert.False(r.UseDedicatedThreads);
    }

    [Theory]
    [InlineData(0.70, WorkloadKind.CpuBound)]
    [InlineData(0.69, WorkloadKind.Mixed)]
    [InlineData(0.31, WorkloadKind.Mixed)]
    [InlineData(0.30, WorkloadKind.IoBound)]
    public void Recommend_DefaultCpuShareThresholds_ClassifyAtTheBoundary(double cpu, WorkloadKind expected)
    {
        Assert.Equal(expected, TwoCores.Recommend(Measured(cpu)).Workload);
    }

    [Theory]
    [InlineData(0.85, WorkloadKind.Mixed)]
    [InlineData(0.9, WorkloadKind.CpuBound)]
    [InlineData(0.1, WorkloadKind.IoBound)]
    [InlineData(0.11, WorkloadKind.Mixed)]
    public void Recommend_CustomCpuShareThresholds_AreHonoured(double cpu, WorkloadKind expected)
    {
        var classifier = new WorkloadClassifier(new WorkloadClassifierOptions { ProcessorCount = 2, CpuBoundThreshold = 0.9, IoBoundThreshold = 0.1 });

        Assert.Equal(expected, classifier.Recommend(Measured(cpu)).Workload);
    }

    [Theory]
    [InlineData(WorkloadTraits.NotThreadSafe)]
    [InlineData(WorkloadTraits.RequiresIsolation)]
    [InlineData(WorkloadTraits.RequiresIsolation | WorkloadTraits.IoBound | WorkloadTraits.Asynchronous)]
    public void Recommend_IsolationOrNotThreadSafeDeclared_ProcessEvenWhenThreadsWouldScale(WorkloadTraits traits)
    {
        var r = TwoCores.Recommend(Measured(0.97, speedup: 1.98) with { Traits = traits });

        Assert.Equal(ExecutionStrategyKind.Process, r.Strategy);
        Assert.Equal(2, r.MaxDegreeOfParallelism);
        Assert.StartsWith("Declared ", r.Reason, StringComparison.Ordinal);
        Assert.Contains("Process with 2 workers", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_DeclaredNotThreadSafeOnly_ProcessWithUnknownWorkloadMixed()
    {
        var r = TwoCores.Recommend(new WorkloadProfile { Traits = WorkloadTraits.NotThreadSafe });

        Assert.Equal(ExecutionStrategyKind.Process, r.Strategy);
        Assert.Equal(WorkloadKind.Mixed, r.Workload);
        Assert.Equal("Declared NotThreadSafe (the work must not run on two threads of one process): Process with 2 workers", r.Reason);
    }

    [Fact]
    public void Recommend_DeclaredTraitsOverrideMeasuredFigures()
    {
        var measuredCpu = Measured(0.95, speedup: 1.9, isAsync: false);

        var io = TwoCores.Recommend(measuredCpu with { Traits = WorkloadTraits.IoBound | WorkloadTraits.Asynchronous });
        var blocking = TwoCores.Recommend(Measured(0.01, isAsync: true) with { Traits = WorkloadTraits.Blocking });

        Assert.Equal(ExecutionStrategyKind.Coroutine, io.Strategy);
        Assert.Equal(WorkloadKind.IoBound, io.Workload);
        Assert.Contains("declared", io.Reason, StringComparison.Ordinal);
        Assert.Equal(ExecutionStrategyKind.ThreadPool, blocking.Strategy);
        Assert.True(blocking.UseDedicatedThreads);
        Assert.Contains("blocking (declared)", blocking.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_DeclaredCpuBoundOverridesMeasuredIoShare()
    {
        var r = TwoCores.Recommend(Measured(0.05) with { Traits = WorkloadTraits.CpuBound });

        Assert.Equal(WorkloadKind.CpuBound, r.Workload);
        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.StartsWith("CPU-bound (declared; measured CPU 5% of wall time)", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_DeclaredOnlyIoBoundAsynchronous_CoroutineAtTheCap()
    {
        var r = TwoCores.Recommend(new WorkloadProfile { Traits = WorkloadTraits.IoBound | WorkloadTraits.Asynchronous });

        Assert.Equal(ExecutionStrategyKind.Coroutine, r.Strategy);
        Assert.Equal(1000, r.MaxDegreeOfParallelism);
        Assert.Equal("I/O-bound (declared) and asynchronous (declared): Coroutine with 1000 items in flight (the cap of 1000, as no CPU share was measured)", r.Reason);
    }

    [Fact]
    public void Recommend_DeclaredOnlyIoBound_AssumesBlockingOnDedicatedThreads()
    {
        var r = TwoCores.Recommend(new WorkloadProfile { Traits = WorkloadTraits.IoBound });

        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.True(r.UseDedicatedThreads);
        Assert.Equal(128, r.MaxDegreeOfParallelism);
        Assert.Contains("assumed blocking", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_DeclaredOnlyCpuBound_ThreadPool()
    {
        var r = TwoCores.Recommend(new WorkloadProfile { Traits = WorkloadTraits.CpuBound });

        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.Equal(2, r.MaxDegreeOfParallelism);
        Assert.StartsWith("CPU-bound (declared), scaling on threads not measured", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_SameProfileTwice_SameRecommendation()
    {
        var profile = Measured(0.42, isAsync: true);

        Assert.Equal(TwoCores.Recommend(profile), TwoCores.Recommend(profile));
        Assert.Same(profile, TwoCores.Recommend(profile).Profile);
    }

    [Fact]
    public void Recommend_CpuBoundAndIoBoundDeclared_ArgumentExceptionNamingBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => TwoCores.Recommend(new WorkloadProfile { Traits = WorkloadTraits.CpuBound | WorkloadTraits.IoBound }));

        Assert.Equal("profile", ex.ParamName);
        Assert.Contains("CpuBound", ex.Message, StringComparison.Ordinal);
        Assert.Contains("IoBound", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_AsynchronousAndBlockingDeclared_ArgumentExceptionNamingBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => TwoCores.Recommend(Measured(0.1) with { Traits = WorkloadTraits.Asynchronous | WorkloadTraits.Blocking }));

        Assert.Contains("Asynchronous", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Blocking", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_NothingDeclaredOrMeasured_ArgumentExceptionSayingWhatToDo()
    {
        var ex = Assert.Throws<ArgumentException>(() => TwoCores.Recommend(new WorkloadProfile { Traits = WorkloadTraits.Asynchronous }));

        Assert.Contains("ProfileAsync", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_NegativeCpuShare_ArgumentException()
    {
        Assert.Throws<ArgumentException>(() => TwoCores.Recommend(new WorkloadProfile { CpuShare = -0.5 }));
    }

    [Fact]
    public void Recommend_NullProfile_ArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => TwoCores.Recommend(null!));
    }

    [Theory]
    [InlineData(nameof(WorkloadClassifierOptions.CpuBoundThreshold))]
    [InlineData(nameof(WorkloadClassifierOptions.IoBoundThreshold))]
    [InlineData(nameof(WorkloadClassifierOptions.ScalingEfficiencyThreshold))]
    [InlineData(nameof(WorkloadClassifierOptions.SampleCount))]
    [InlineData(nameof(WorkloadClassifierOptions.TimeBudget))]
    [InlineData(nameof(WorkloadClassifierOptions.ProcessorCount))]
    [InlineData(nameof(WorkloadClassifierOptions.MaxThreads))]
    [InlineData(nameof(WorkloadClassifierOptions.MaxConcurrency))]
    [InlineData(nameof(WorkloadClassifierOptions.MinProcessItemDuration))]
    [InlineData(nameof(WorkloadClassifierOptions.AsyncConcurrencyHeadroom))]
    [InlineData(nameof(WorkloadClassifierOptions.BusyMachineThreshold))]
    public void Constructor_OptionOutOfRange_ArgumentExceptionNamingIt(string option)
    {
        var options = new WorkloadClassifierOptions();
        switch (option)
        {
            case nameof(WorkloadClassifierOptions.CpuBoundThreshold): options.CpuBoundThreshold = 1.5; break;
            case nameof(WorkloadClassifierOptions.IoBoundThreshold): options.IoBoundThreshold = 0.8; break;
            case nameof(WorkloadClassifierOptions.ScalingEfficiencyThreshold): options.ScalingEfficiencyThreshold = 0; break;
            case nameof(WorkloadClassifierOptions.SampleCount): options.SampleCount = 0; break;
            case nameof(WorkloadClassifierOptions.TimeBudget): options.TimeBudget = TimeSpan.Zero; break;
            case nameof(WorkloadClassifierOptions.ProcessorCount): options.ProcessorCount = 0; break;
            case nameof(WorkloadClassifierOptions.MaxThreads): options.MaxThreads = 0; break;
            case nameof(WorkloadClassifierOptions.MaxConcurrency): options.MaxConcurrency = -1; break;
            case nameof(WorkloadClassifierOptions.MinProcessItemDuration): options.MinProcessItemDuration = TimeSpan.FromMilliseconds(-1); break;
            case nameof(WorkloadClassifierOptions.AsyncConcurrencyHeadroom): options.AsyncConcurrencyHeadroom = 0.5; break;
            default: options.BusyMachineThreshold = 2; break;
        }

        var ex = Assert.ThrowsAny<ArgumentException>(() => new WorkloadClassifier(options));

        Assert.Equal(option, ex.ParamName);
        Assert.Contains(option, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_OptionsChangedAfterwards_ClassifierKeepsItsCopy()
    {
        var options = new WorkloadClassifierOptions { ProcessorCount = 2 };
        var classifier = new WorkloadClassifier(options);
        options.ProcessorCount = 64;

        Assert.Equal(2, classifier.Recommend(Measured(0.97, speedup: 1.9)).MaxDegreeOfParallelism);
    }

    [Fact]
    public void WorkloadProfile_ToString_SummarisesTheFigures()
    {
        var text = Measured(0.97, speedup: 1.96).ToString();

        Assert.Equal("CPU 97% of wall time, median item 10 ms, 100 B/item, synchronous, 1.96× on 2 threads, 16 samples", text);
    }
}
