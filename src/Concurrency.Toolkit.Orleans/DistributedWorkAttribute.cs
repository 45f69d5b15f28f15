namespace Concurrency.Toolkit;

/// <summary>
/// Marks a method, a lambda, or every method of a type as allowed to run on the silos for
/// <see cref="OrleansStrategy"/>. The mark counts only on silos that honour it
/// (<c>DistributedWorkerOptions.AllowMarkedWork</c> in Concurrency.Toolkit.Orleans.Server, on by default): the silo's own code decides what runs.
/// </summary>
/// <example>
/// <code>
/// public static class Primes
/// {
///     [DistributedWork]
///     public static int CountBelow(int n) => ...;
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class DistributedWorkAttribute : Attribute
{
}
