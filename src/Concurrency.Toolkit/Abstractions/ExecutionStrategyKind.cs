namespace Concurrency.Toolkit;

/// <summary>The model of concurrency a strategy implements; also the key of each strategy in dependency injection.</summary>
public enum ExecutionStrategyKind
{
    /// <summary>Threads of this process: the shared .NET thread pool, or dedicated threads for blocking work.</summary>
    ThreadPool = 0,

    /// <summary>A supervised pool of worker processes: isolation from crashes, hard timeouts and work that does not scale on threads.</summary>
    Process = 1,

    /// <summary>Async continuations with bounded concurrency, optionally on one event-loop thread.</summary>
    Coroutine = 2,

    /// <summary>
    /// Not a model of its own: <see cref="AdaptiveStrategy"/> profiles the first items of each map and runs the rest on
    /// the model the classifier recommends.
    /// </summary>
    Auto = 3,

    /// <summary>
    /// Grains of a Microsoft Orleans cluster, for work that outgrows one machine; provided by the separate
    /// Concurrency.Toolkit.Orleans package, so that this package does not depend on Orleans.
    /// </summary>
    Distributed = 4,
}
