// Over 400 lines on purpose: a method's identity has one definition here, its checks (what can ship and why not),
// its wire form (read, write) and its resolution in the receiving process (delegate, typed runner); split, a change
// to the identity would have to be made in step in several files.
using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit;

/// <summary>
/// The identity of a static method or a non-capturing lambda, by which another process that loads the same
/// assemblies finds the same method. Building one is the capture check: a delegate that captures variables or
/// has an instance target is refused with <see cref="WorkNotShippableException"/> before anything is sent.
/// </summary>
/// <remarks>
/// <para>
/// This is the shipping component that <see cref="ProcessStrategy"/> and the Orleans package share, public for
/// strategies that ship work across a boundary of their own. The sending side takes the identity of the caller's
/// delegate (<see cref="For"/>, usually in <see cref="ExecutionStrategyBase.ValidateWork{TIn, TOut}"/> so that a
/// refusal comes before any input is read) and writes it (<see cref="Write"/>) with the inputs, serialized by a
/// <see cref="WorkSerializer"/>. The receiving side reads it (<see cref="Read"/>), decides whether it may run it, and
/// builds a typed runner for it (<see cref="CreateRunner{TRunner}"/>), which runs <see cref="Work{TIn, TOut}"/> of the
/// sender's shape. Failures go back with <see cref="ShippedError"/>.
/// </para>
/// <para>
/// Work registered in <see cref="WorkRegistry"/> also carries its registered name, and the receiving side finds it
/// by that name first, with no reflection. In a Native AOT app there are no metadata tokens: only registered work
/// crosses there, and other work is refused with the fix.
/// </para>
/// <para>
/// A non-capturing lambda compiles to an instance method of a compiler-generated singleton class that has no
/// instance fields; the other side takes that singleton from its static field. A lambda that captures compiles
/// to a "display class" whose instance fields are the captured variables: those are what the message names.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// // Sender: refuse what cannot cross, then write the identity ahead of the inputs.
/// var method = ShippedMethod.For(work.Delegate);
/// method.Write(request);
///
/// // Receiver: read it, check it against what may run here, build the typed runner once per method.
/// var reader = new PayloadReader(request.WrittenSpan);
/// var received = ShippedMethod.Read(ref reader);
/// MyRunner runner = received.CreateRunner(new MyRunnerFactory(), "my service");
/// </code>
/// </example>
public sealed class ShippedMethod
{
    private const BindingFlags AllDeclared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    private const byte HasMetadataFlag = 1;
    private const byte HasNameFlag = 2;

    /// <summary>The reason shared by the suppressions of the metadata path's trimming and AOT warnings.</summary>
    private const string MetadataPathJustification =
        "Reached only where metadata tokens exist (never in Native AOT, where unregistered work is refused before it is sent). The type and method are ones the " +
        "sending process referenced in code, in this same app, so the trimmer kept them; work registered in WorkRegistry takes the reflection-free path.";

    private static readonly ConcurrentDictionary<(MethodInfo Method, Type? Target, Type Delegate), ShippedMethod> Cache = new();

    private ShippedMethod(string typeName, Guid moduleVersionId, int methodToken, string methodName, string[] methodTypeArguments, bool singletonTarget, string delegateTypeName, string? registeredName)
    {
        TypeName = typeName;
        ModuleVersionId = moduleVersionId;
        MethodToken = methodToken;
        MethodName = methodName;
        MethodTypeArguments = methodTypeArguments;
        SingletonTarget = singletonTarget;
        DelegateTypeName = delegateTypeName;
        RegisteredName = registeredName;
        HasMetadata = typeName.Length > 0;
        Key = registeredName is not null ? $"name|{registeredName}" : $"{typeName}|{methodToken}|{string.Join(',', methodTypeArguments)}|{delegateTypeName}";
    }

    /// <summary>Gets a value indicating whether this process has metadata tokens (every runtime but Native AOT).</summary>
    internal static bool MetadataAvailable { get; } = ProbeMetadata();

    /// <summary>Gets the name the work is registered under in <see cref="WorkRegistry"/>, or <see langword="null"/>.</summary>
    public string? RegisteredName { get; }

    /// <summary>Gets a value indicating whether the identity carries the method's metadata (type, token), which Native AOT does not have.</summary>
    public bool HasMetadata { get; }

    /// <summary>
    /// Gets the assembly-qualified name of the type that declares the method (for a lambda, the compiler's class inside
    /// the type that wrote it); empty without metadata. A receiver that decides by type what may run reads it, and
    /// should look the type up only among assemblies it has loaded, never load one a sender names.
    /// </summary>
    public string TypeName { get; }

    /// <summary>Gets the method's metadata token in its module (0 without metadata): with <see cref="TypeName"/>, which method it is.</summary>
    public int MethodToken { get; }

    internal Guid ModuleVersionId { get; }

    /// <summary>Gets the method's name, for messages only.</summary>
    internal string MethodName { get; }

    internal string[] MethodTypeArguments { get; }

    /// <summary>Gets a value indicating whether the method runs on the compiler's singleton of a non-capturing lambda.</summary>
    internal bool SingletonTarget { get; }

    /// <summary>Gets the assembly-qualified name of the delegate type the other side creates.</summary>
    internal string DelegateTypeName { get; }

    /// <summary>Gets a string that is equal for equal identities: a key to cache what a receiver built for the method.</summary>
    public string Key { get; }

    /// <summary>Gets a readable name such as <c>MyApp.Primes.CountBelow</c>.</summary>
    public string DisplayName => HasMetadata ? $"{TypeName.Split(',')[0]}.{MethodName}" : RegisteredName!;

    /// <summary>Checks that <paramref name="work"/> can be shipped and returns its identity (cached per method and target type).</summary>
    /// <param name="work">The caller's delegate, <see cref="Work{TIn, TOut}.Delegate"/>.</param>
    /// <param name="paramName">The parameter the refusal names.</param>
    /// <returns>The identity.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is <see langword="null"/>.</exception>
    /// <exception cref="WorkNotShippableException">The delegate captures variables, has an instance target, or cannot be
    /// found by name (the message says what it captured and how to pass it instead).</exception>
    public static ShippedMethod For(Delegate work, string paramName = "work")
    {
        ArgumentNullException.ThrowIfNull(work, paramName);
        return TryGet(work, out var refusal) ?? throw refusal!.ToException(paramName);
    }

    /// <summary>As <see cref="For"/>, uncached, as a process with or without metadata tokens would; for tests of the Native AOT path.</summary>
    internal static ShippedMethod ForTest(Delegate work, bool metadataAvailable)
        => TryCreate(work, metadataAvailable, out var refusal) ?? throw refusal!.ToException(nameof(work));

    /// <summary>
    /// Tells, with the rule of <see cref="For"/> but without looking at registrations or metadata tokens, whether the
    /// delegate captures nothing and has no instance target; for <see cref="WorkRegistry"/>, which checks what it is given.
    /// </summary>
    internal static bool CanShipByMetadata(Delegate work, [NotNullWhen(false)] out string? reason)
    {
        reason = Check(work, out _)?.What;
        return reason is null;
    }

    /// <summary>
    /// Tells, with the same rule as <see cref="For"/>, whether <paramref name="work"/> can cross to another process:
    /// for those that choose where work runs (the adaptive strategy) and must agree with the strategies that ship it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is <see langword="null"/>.</exception>
    /// <param name="work">The work.</param>
    /// <param name="reason">When it cannot, what it is, as a clause that follows "the work": <c>captures variables (y)</c>.</param>
    /// <returns><see langword="true"/> when <see cref="For"/> would accept it.</returns>
    public static bool CanShip(Delegate work, [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(work);
        reason = TryGet(work, out var refusal) is null ? refusal!.What : null;
        return reason is null;
    }

    /// <summary>Reads an identity written by <see cref="Write"/>. Reading creates nothing: the method is looked up only by <see cref="CreateRunner{TRunner}"/>.</summary>
    /// <param name="reader">The reader, positioned at the identity; it moves past it.</param>
    /// <returns>The identity.</returns>
    /// <exception cref="InvalidDataException">The bytes are not an identity, or are cut short.</exception>
    public static ShippedMethod Read(ref PayloadReader reader)
    {
        var flags = reader.ReadByte();
        if (flags is 0 or > (HasMetadataFlag | HasNameFlag))
        {
            throw new InvalidDataException($"Malformed method identity: flags {flags}.");
        }

        var hasName = (flags & HasNameFlag) != 0;
        if ((flags & HasMetadataFlag) == 0)
        {
            return new ShippedMethod(string.Empty, Guid.Empty, 0, string.Empty, [], false, string.Empty, reader.ReadRequiredString());
        }

        var typeName = reader.ReadRequiredString();
        var mvid = new Guid(reader.Take(16));
        var token = reader.ReadInt32();
        var methodName = reader.ReadRequiredString();
        var count = reader.ReadInt32();
        if (count is < 0 or > 64)
        {
            throw new InvalidDataException($"Malformed method identity: {count} type arguments.");
        }

        var args = new string[count];
        for (var i = 0; i < count; i++)
        {
            args[i] = reader.ReadRequiredString();
        }

        var singleton = reader.ReadByte() != 0;
        var delegateType = reader.ReadRequiredString();
        var registered = hasName ? reader.ReadRequiredString() : null;
        return new ShippedMethod(typeName, mvid, token, methodName, args, singleton, delegateType, registered);
    }

    /// <summary>Writes the identity: a flags byte, then the registered name or the method's metadata (type, module, token, delegate type).</summary>
    /// <param name="writer">Where the bytes go.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is <see langword="null"/>.</exception>
    public void Write(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteByte((byte)((HasMetadata ? HasMetadataFlag : 0) | (RegisteredName is null ? 0 : HasNameFlag)));
        if (!HasMetadata)
        {
            writer.WriteString(RegisteredName!);
            return;
        }

        writer.WriteString(TypeName);
        ModuleVersionId.TryWriteBytes(writer.GetSpan(16));
        writer.Advance(16);
        writer.WriteInt32(MethodToken);
        writer.WriteString(MethodName);
        writer.WriteInt32(MethodTypeArguments.Length);
        foreach (var arg in MethodTypeArguments)
        {
            writer.WriteString(arg);
        }

        writer.WriteByte(SingletonTarget ? (byte)1 : (byte)0);
        writer.WriteString(DelegateTypeName);
        if (RegisteredName is not null)
        {
            writer.WriteString(RegisteredName);
        }
    }

    /// <summary>
    /// Creates the receiving side's typed runner for this method, so that its per-item path has no reflection: the
    /// work (registered, or recreated from metadata) becomes a <see cref="Work{TIn, TOut}"/> of the same shape as the
    /// sender's, and <paramref name="factory"/> builds the runner for it. Registered work needs no reflection at all.
    /// </summary>
    /// <remarks>
    /// Recreating work from metadata loads the declaring type by its assembly-qualified name. A receiver that must not
    /// run whatever a sender names (a network service) checks <see cref="TypeName"/> against what it allows first.
    /// </remarks>
    /// <typeparam name="TRunner">The runner's base type.</typeparam>
    /// <param name="factory">Builds the runner for the work's input and result types.</param>
    /// <param name="receiver">Who receives the work, for messages ("a worker", "a silo").</param>
    /// <returns>The runner.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The method cannot be found, is a different build than the sender's,
    /// or its delegate is no shape of work; the message says which.</exception>
    public TRunner CreateRunner<TRunner>(IRunnerFactory<TRunner> factory, string receiver)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (RegisteredName is { } name && WorkRegistry.Find(name) is { } registered)
        {
            return registered.CreateRunner(factory, receiver);
        }

        var work = CreateDelegate();
        var type = work.GetType();
        if (!WorkShapes.TryClassify(type, out _, out var input, out var result))
        {
            throw new InvalidOperationException($"Work '{DisplayName}' has delegate type '{type}', which {receiver} cannot run.");
        }

        return CreateTypedRunner(factory, work, input, result);
    }

    /// <summary>Finds the method in this process and creates the delegate; the receiving side's half. Registered work is found by name.</summary>
    /// <exception cref="InvalidOperationException">Nothing is registered under the name and there is no metadata, a type or the method cannot be found, or the assembly is a different build.</exception>
    [UnconditionalSuppressMessage("Trimming", "IL2057", Justification = MetadataPathJustification)]
    [UnconditionalSuppressMessage("Trimming", "IL2060", Justification = MetadataPathJustification)]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = MetadataPathJustification)]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = MetadataPathJustification)]
    internal Delegate CreateDelegate()
    {
        if (RegisteredName is { } name && WorkRegistry.Find(name) is { } registered)
        {
            return registered.Delegate;
        }

        if (!HasMetadata || !MetadataAvailable)
        {
            throw new InvalidOperationException(
                $"Cannot ship '{DisplayName}': nothing is registered under that name in this process{(HasMetadata ? ", and this process has no metadata tokens to find the method by (it is compiled with Native AOT)" : string.Empty)}. " +
                "A registration must run in every process, the host and each of its workers: in a module initializer, as the Concurrency.Toolkit package's source generator " +
                "emits them, or a static constructor, never in code that only the host runs.");
        }

        Type type;
        try
        {
            type = Type.GetType(TypeName, throwOnError: true)!;
        }
        catch (Exception ex) when (ex is TypeLoadException or FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new InvalidOperationException($"Cannot ship '{DisplayName}': type '{TypeName}' cannot be loaded in this process ({ex.Message.Trim()}). The worker must be able to load the assembly that declares the work (it runs with the host app's dependencies).", ex);
        }

        var delegateType = Type.GetType(DelegateTypeName, throwOnError: false)
            ?? throw new InvalidOperationException($"Cannot ship '{DisplayName}': delegate type '{DelegateTypeName}' cannot be loaded in this process.");
        if (type.Module.ModuleVersionId != ModuleVersionId)
        {
            throw new InvalidOperationException($"Cannot ship '{DisplayName}': this process loaded a different build of assembly '{type.Assembly.FullName}' than the sender.");
        }

        var method = type.GetMethods(AllDeclared).FirstOrDefault(m => m.MetadataToken == MethodToken)
            ?? throw new InvalidOperationException($"Cannot ship '{DisplayName}': method token {MethodToken:X8} not found in '{type.FullName}'.");
        if (MethodTypeArguments.Length > 0)
        {
            var args = MethodTypeArguments.Select(a => Type.GetType(a, throwOnError: false)
                ?? throw new InvalidOperationException($"Cannot ship '{DisplayName}': type argument '{a}' cannot be loaded in this process.")).ToArray();
            method = method.MakeGenericMethod(args);
        }

        object? target = null;
        if (SingletonTarget)
        {
            target = type.GetField("<>9", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(null)
                ?? RuntimeHelpers.GetUninitializedObject(type);
        }

        return method.CreateDelegate(delegateType, target);
    }

    /// <inheritdoc/>
    public override string ToString() => DisplayName;

    private static ShippedMethod? TryGet(Delegate work, out Refusal? refusal)
    {
        refusal = null;
        if (!work.HasSingleTarget)
        {
            return TryCreate(work, MetadataAvailable, out refusal);
        }

        var key = (work.Method, work.Target?.GetType(), work.GetType());
        if (Cache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        // Registrations run at start-up (module initializers), before anything is shipped, so the answer can be cached.
        var created = TryCreate(work, MetadataAvailable, out refusal);
        if (created is not null)
        {
            Cache.TryAdd(key, created);
        }

        return created;
    }

    private static ShippedMethod? TryCreate(Delegate work, bool metadataAvailable, out Refusal? refusal)
    {
        var registered = work.HasSingleTarget ? WorkRegistry.Find(work) : null;
        if (!metadataAvailable)
        {
            // Native AOT: a lambda's captures cannot be seen here, and there is no token to find any method by; only
            // registered work crosses, by its name.
            refusal = !work.HasSingleTarget ? Check(work, out _) : registered is null ? NotRegistered(work) : null;
            return refusal is null ? new ShippedMethod(string.Empty, Guid.Empty, 0, string.Empty, [], false, string.Empty, registered!.Name) : null;
        }

        refusal = Check(work, out var singleton);
        if (refusal is not null)
        {
            return null;
        }

        var method = work.Method;
        var declaring = method.DeclaringType!;
        if (declaring.AssemblyQualifiedName is not { } typeName)
        {
            refusal = new("is declared in a type without an assembly-qualified name", $"Work '{Describe(method)}' is declared in a type without an assembly-qualified name.", []);
            return null;
        }

        var typeArgs = method.IsGenericMethod ? method.GetGenericArguments().Select(t => t.AssemblyQualifiedName!).ToArray() : [];
        var delegateTypeName = work.GetType().AssemblyQualifiedName!;
        return new ShippedMethod(typeName, declaring.Module.ModuleVersionId, method.MetadataToken, method.Name, typeArgs, singleton, delegateTypeName, registered?.Name);
    }

    /// <summary>The capture check: why the delegate cannot cross, or <see langword="null"/> when it can.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "A lambda's captured variables are fields its code uses, so the trimmer keeps them.")]
    private static Refusal? Check(Delegate work, out bool singleton)
    {
        singleton = false;
        if (work.HasSingleTarget is false)
        {
            var count = work.GetInvocationList().Length;
            return new($"is a multicast delegate of {count} methods", $"Work for another process must be a single method; '{work.GetType()}' is a multicast delegate of {count} methods. Ship one static method that calls the others.", []);
        }

        var method = work.Method;
        var name = Describe(method);
        var declaring = method.DeclaringType;
        if (declaring is null)
        {
            return new("is a dynamic method", $"Work '{name}' is a dynamic method (compiled expression or emitted code) that another process cannot find by name. Use a static method or a non-capturing lambda.", []);
        }

        var target = work.Target;
        if (target is not null)
        {
            var targetType = target.GetType();
            if (method.IsStatic)
            {
                return new($"is a static method bound to a first argument of type {targetType.Name}", $"Work '{name}' is a static method bound to a first argument of type '{targetType}' (an extension method called on an instance): that instance would have to cross too. Pass it through the input instead.", ["first argument"]);
            }

            var isCompilerGenerated = targetType.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false);
            var fields = targetType.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            if (isCompilerGenerated && fields.Length == 0)
            {
                singleton = true;
            }
            else if (isCompilerGenerated)
            {
                var captured = new List<string>();
                CollectCaptured(targetType, captured, 0);
                return new(
                    $"captures variables ({string.Join(", ", captured)})",
                    $"Work '{name}' is a lambda that captures {string.Join(", ", captured.Select(c => $"'{c}'"))}: captured variables cannot cross to another process. " +
                    "Pass them through the input instead (for example map over tuples: inputs.Select(x => (x, factor)) with work static ((int X, int Factor) p) => p.X * p.Factor), " +
                    "or make the lambda static to have the compiler check it captures nothing.",
                    captured);
            }
            else
            {
                return new(
                    $"is an instance method of {targetType.Name}",
                    $"Work '{name}' is an instance method of '{targetType}': the instance would have to cross to another process. Make the method static and pass what it needs through the input.",
                    ["this"]);
            }
        }

        if (declaring.ContainsGenericParameters || method.ContainsGenericParameters)
        {
            return new("has open generic parameters", $"Work '{name}' has open generic parameters.", []);
        }

        return null;
    }

    private static Refusal NotRegistered(Delegate work) => new(
        "is not registered, and this app is compiled with Native AOT",
        $"Work '{Describe(work)}' cannot cross to a worker process: this app is compiled with Native AOT, where work crosses by a registered name, and this work is not registered. " +
        "Pass a named static method that the app's code can reach (public or internal), as a method group: the Concurrency.Toolkit package's source generator registers those in a module initializer. " +
        "A lambda has no name to register: move its body into a static method. Or register the work yourself, in a module initializer, with WorkRegistry.Register.",
        []);

    [UnconditionalSuppressMessage("Trimming", "IL2060", Justification = MetadataPathJustification)]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = MetadataPathJustification)]
    private static TRunner CreateTypedRunner<TRunner>(IRunnerFactory<TRunner> factory, Delegate work, Type input, Type result)
        => (TRunner)typeof(ShippedMethod).GetMethod(nameof(CreateTyped), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(typeof(TRunner), input, result)
            .Invoke(null, BindingFlags.DoNotWrapExceptions, binder: null, [factory, work], culture: null)!;

    private static TRunner CreateTyped<TRunner, TIn, TOut>(IRunnerFactory<TRunner> factory, Delegate work)
        => factory.Create(Work<TIn, TOut>.FromDelegate(work));

    private static bool ProbeMetadata()
    {
        try
        {
            return ((Func<Delegate, string, ShippedMethod>)For).Method.MetadataToken != 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException)
        {
            return false;
        }
    }

    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "A lambda's captured variables are fields its code uses, so the trimmer keeps them.")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "A lambda's captured variables are fields its code uses, so the trimmer keeps them.")]
    private static void CollectCaptured(Type displayClass, List<string> captured, int depth)
    {
        foreach (var field in displayClass.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (field.Name.EndsWith("__this", StringComparison.Ordinal))
            {
                captured.Add($"this ({field.FieldType.Name})");
            }
            else if (field.Name.Contains("<>8__locals", StringComparison.Ordinal) && depth < 8)
            {
                CollectCaptured(field.FieldType, captured, depth + 1);
            }
            else
            {
                captured.Add(field.Name);
            }
        }
    }

    private static string Describe(MethodInfo method)
        => method.DeclaringType is { } t ? $"{t.FullName}.{method.Name}" : method.Name;

    /// <summary>The delegate's method by name, or its delegate type's name where the method cannot be seen (Native AOT).</summary>
    internal static string Describe(Delegate work)
    {
        try
        {
            return Describe(work.Method);
        }
        catch (NotSupportedException)
        {
            return work.GetType().Name;
        }
    }

    /// <summary>Why a delegate cannot be shipped: a short clause for a choice's reason, and the full refusal that teaches the fix.</summary>
    private sealed record Refusal(string What, string Message, IReadOnlyList<string> Captured)
    {
        public WorkNotShippableException ToException(string paramName) => new(Message, paramName, Captured);
    }
}
