using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit;

/// <summary>
/// Names work so that it can cross to a worker process by that name instead of by its metadata. A Native AOT app has
/// no metadata tokens to find a method by, and a trimmed app may lack the members that finding it by reflection
/// needs; work registered here is found by name, and its worker-side runner is compiled ahead of time.
/// </summary>
/// <remarks>
/// <para>
/// The <c>Concurrency.Toolkit</c> package's source generator registers, in a module initializer, every named static
/// method the app passes to a strategy (and to <see cref="ProcessStrategyOptions.SerializerFactory"/> and
/// <see cref="ProcessStrategyOptions.WorkerInitializer"/>), so apps rarely call this themselves. A registration must
/// run in the host and in every worker, so it belongs in a module initializer or a static constructor, never in code
/// that only the host runs.
/// </para>
/// <para>
/// A strategy that ships a delegate looks it up here (a delegate for the same static method is equal to the
/// registered one); registered work crosses by name, other work by its method's metadata, which needs the
/// reflection that Native AOT does not have.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// [ModuleInitializer]
/// internal static void RegisterWork() => WorkRegistry.Register("Primes.CountBelow", Work&lt;int, int&gt;.From(Primes.CountBelow));
/// </code>
/// </example>
public static class WorkRegistry
{
    private static readonly ConcurrentDictionary<string, RegisteredWork> ByName = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<Delegate, RegisteredWork> ByDelegate = new();

    /// <summary>Registers work under a name.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="name">The name, unique within the app; the generator uses the method's full name and parameter types.</param>
    /// <param name="work">The work: a static method, or a lambda that captures nothing.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or already names other work.</exception>
    /// <exception cref="WorkNotShippableException">The delegate captures variables, has an instance target, or is multicast.</exception>
    public static void Register<TIn, TOut>(string name, Work<TIn, TOut> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Add(new RegisteredWork<TIn, TOut>(name, work), nameof(work));
    }

    /// <summary>Registers a <see cref="ProcessStrategyOptions.SerializerFactory"/> under a name.</summary>
    /// <param name="name">The name, unique within the app.</param>
    /// <param name="serializerFactory">A static method that creates the serializer.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or already names something else.</exception>
    /// <exception cref="WorkNotShippableException">The delegate captures variables, has an instance target, or is multicast.</exception>
    public static void Register(string name, Func<WorkSerializer> serializerFactory)
    {
        ArgumentNullException.ThrowIfNull(serializerFactory);
        Add(new RegisteredWork(name, serializerFactory), nameof(serializerFactory));
    }

    /// <summary>Registers a <see cref="ProcessStrategyOptions.WorkerInitializer"/> under a name.</summary>
    /// <param name="name">The name, unique within the app.</param>
    /// <param name="initializer">A static method that each worker runs once.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or already names something else.</exception>
    /// <exception cref="WorkNotShippableException">The delegate captures variables, has an instance target, or is multicast.</exception>
    public static void Register(string name, Action initializer)
    {
        ArgumentNullException.ThrowIfNull(initializer);
        Add(new RegisteredWork(name, initializer), nameof(initializer));
    }

    /// <summary>Finds the registration of a delegate for the same method (and delegate type), or <see langword="null"/>.</summary>
    internal static RegisteredWork? Find(Delegate work) => ByDelegate.TryGetValue(work, out var found) ? found : null;

    /// <summary>Finds a registration by name, or <see langword="null"/>.</summary>
    internal static RegisteredWork? Find(string name) => ByName.TryGetValue(name, out var found) ? found : null;

    /// <summary>Removes a registration; for tests only, which must not leave names behind for other tests.</summary>
    internal static void Remove(string name)
    {
        if (ByName.TryRemove(name, out var removed))
        {
            ByDelegate.TryRemove(new KeyValuePair<Delegate, RegisteredWork>(removed.Delegate, removed));
        }
    }

    private static void Add(RegisteredWork entry, string paramName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Name, "name");
        if (!entry.Delegate.HasSingleTarget)
        {
            throw new WorkNotShippableException($"Work registered as '{entry.Name}' is a multicast delegate; register one static method that calls the others.", paramName, []);
        }

        // Where reflection works, the rule every shipped delegate obeys is checked now (a Native AOT app cannot see a
        // lambda's captured variables, and its generator registers only static methods).
        if (RuntimeFeature.IsDynamicCodeSupported && !ShippedMethod.CanShipByMetadata(entry.Delegate, out var refusal))
        {
            throw new WorkNotShippableException($"Work registered as '{entry.Name}' cannot cross to another process: it {refusal}. Register a static method.", paramName, []);
        }

        var existing = ByName.GetOrAdd(entry.Name, entry);
        if (!ReferenceEquals(existing, entry))
        {
            if (existing.Delegate.Equals(entry.Delegate))
            {
                // The same method under the same name: registering twice (by hand and by the generator) is harmless.
                return;
            }

#pragma warning disable CA2208 // The public Register methods' parameter is "name".
            throw new ArgumentException($"The name '{entry.Name}' is already registered for other work ({existing.Describe()}); each registration needs a name of its own.", "name");
#pragma warning restore CA2208
        }

        // The first name registered for a method is the one it crosses by.
        ByDelegate.TryAdd(entry.Delegate, entry);
    }
}
