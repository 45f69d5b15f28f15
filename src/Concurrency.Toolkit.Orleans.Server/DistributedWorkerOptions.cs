using System.Reflection;

namespace Concurrency.Toolkit;

/// <summary>
/// The silo side of <see cref="OrleansStrategy"/>: which methods a caller may run here, and how values are
/// (de)serialized. A silo is a network service, and running any method a caller names would be remote code
/// execution, so nothing runs unless this allow-list admits it.
/// </summary>
/// <remarks>
/// A method is allowed when its type (or the type that declares its lambda) was passed to <see cref="Allow(Type)"/>,
/// or when <see cref="AllowMarkedWork"/> is on and the method, lambda or one of its declaring types carries
/// <see cref="DistributedWorkAttribute"/>. Anything else is refused before its assembly's types are touched by
/// name-only checks where possible, and the caller gets <see cref="WorkNotAllowedException"/>.
/// </remarks>
public sealed class DistributedWorkerOptions
{
    private readonly HashSet<Type> _allowedTypes = [];

    /// <summary>
    /// Gets or sets a value indicating whether methods marked <see cref="DistributedWorkAttribute"/> (or declared in a
    /// marked type) may run. Default <see langword="true"/>; turn it off to allow registered types only.
    /// </summary>
    public bool AllowMarkedWork { get; set; } = true;

    /// <summary>
    /// Gets or sets the serializer for inputs and results; it must match <see cref="OrleansStrategyOptions.Serializer"/>
    /// on the callers. Default: <see cref="JsonWorkSerializer"/>.
    /// </summary>
    public WorkSerializer? Serializer { get; set; }

    /// <summary>Gets the types whose static methods and non-capturing lambdas may run.</summary>
    public IReadOnlyCollection<Type> AllowedTypes => _allowedTypes;

    /// <summary>Allows every static method of <paramref name="type"/>, and the non-capturing lambdas written inside it, to run on this silo.</summary>
    /// <param name="type">A type of the app's own code; not an open generic type.</param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="type"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="type"/> is an open generic type or a framework type.</exception>
    public DistributedWorkerOptions Allow(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.ContainsGenericParameters)
        {
            throw new ArgumentException($"Cannot allow '{type}': it is an open generic type. Allow the closed type, or a non-generic type that declares the work.", nameof(type));
        }

        if (type.Assembly == typeof(object).Assembly || type.Assembly.GetName().Name?.StartsWith("System.", StringComparison.Ordinal) == true)
        {
            throw new ArgumentException($"Cannot allow '{type}': it is a framework type, and allowing it would let callers run framework methods on the silo. Allow the app type that declares the work.", nameof(type));
        }

        _allowedTypes.Add(type);
        return this;
    }

    /// <summary>Allows every static method of <typeparamref name="T"/> and the non-capturing lambdas inside it.</summary>
    /// <typeparam name="T">A type of the app's own code.</typeparam>
    /// <returns>These options, for chaining.</returns>
    public DistributedWorkerOptions Allow<T>() => Allow(typeof(T));

    internal bool IsAllowedType(Type type)
    {
        for (var t = type; t is not null; t = t.DeclaringType)
        {
            if (_allowedTypes.Contains(t))
            {
                return true;
            }
        }

        return false;
    }

    internal bool IsMarked(MethodInfo method)
    {
        if (!AllowMarkedWork)
        {
            return false;
        }

        if (method.IsDefined(typeof(DistributedWorkAttribute), inherit: false))
        {
            return true;
        }

        for (var t = method.DeclaringType; t is not null; t = t.DeclaringType)
        {
            if (t.IsDefined(typeof(DistributedWorkAttribute), inherit: false))
            {
                return true;
            }
        }

        return false;
    }
}
