namespace Concurrency.Toolkit.Shipping;

/// <summary>A delegate registered under a name in <see cref="WorkRegistry"/>: a serializer factory, an initializer, or work.</summary>
internal class RegisteredWork(string name, Delegate work)
{
    public string Name { get; } = name;

    public Delegate Delegate { get; } = work;

    /// <summary>Creates the receiving side's typed runner, compiled ahead of time for the registered types.</summary>
    /// <exception cref="InvalidOperationException">The name is registered for something that is not work.</exception>
    public virtual TRunner CreateRunner<TRunner>(IRunnerFactory<TRunner> factory, string receiver)
        => throw new InvalidOperationException($"'{Name}' is registered as a {Delegate.GetType().Name}, which {receiver} cannot run as work.");

    public string Describe() => ShippedMethod.Describe(Delegate);
}

/// <summary>Registered work of known types: its runner is built by plain generic code, with no reflection.</summary>
internal sealed class RegisteredWork<TIn, TOut>(string name, Work<TIn, TOut> work) : RegisteredWork(name, work.Delegate)
{
    public override TRunner CreateRunner<TRunner>(IRunnerFactory<TRunner> factory, string receiver) => factory.Create(work);
}
