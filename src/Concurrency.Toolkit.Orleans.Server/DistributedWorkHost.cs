using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit.Orleans;

/// <summary>
/// The silo side of a grain call: checks the shipped method against the allow-list before it creates anything
/// from it, then runs the batch's items in order and writes one outcome per item. One per silo; the decision
/// and the typed runner are cached per method.
/// </summary>
internal sealed class DistributedWorkHost
{
    private const BindingFlags AllDeclared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    private readonly DistributedWorkerOptions _options;
    private readonly WorkSerializer _serializer;
    private readonly ConcurrentDictionary<string, Resolution> _resolved = new();
    private readonly ConcurrentDictionary<CallId, byte> _calls = new();
    private long _itemsRun;
    private long _batchesRun;
    private int _running;

    public DistributedWorkHost(IOptions<DistributedWorkerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _serializer = _options.Serializer ?? new JsonWorkSerializer();
    }

    /// <summary>Gets how many items this silo has run (allowed batches only), for diagnostics and tests.</summary>
    public long ItemsRun => Interlocked.Read(ref _itemsRun);

    /// <summary>Gets how many grain calls (batches) this silo has run, for diagnostics and tests.</summary>
    public long BatchesRun => Interlocked.Read(ref _batchesRun);

    /// <summary>Gets this silo's identity in replies and probe answers, random so that a restarted silo differs; never 0.</summary>
    public long SiloId { get; } = Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>Gets how many grain calls are running on this silo now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>
    /// Runs a batch on the thread pool. The call is recorded as running before this returns, so that a probe that
    /// follows it on the same route (<see cref="FindRunning"/>) finds it.
    /// </summary>
    public async Task<byte[]> RunAsync(byte[] request, CancellationToken cancellationToken)
    {
        var call = CallId.Peek(request);
        var recorded = call is { } id && _calls.TryAdd(id, 0);
        try
        {
            return await Task.Run(() => RunCoreAsync(request, cancellationToken), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            if (recorded)
            {
                _calls.TryRemove(call!.Value, out _);
            }
        }
    }

    /// <summary>Answers a probe: this silo's <see cref="SiloId"/>, then those of <paramref name="caller"/>'s calls that are running here.</summary>
    public long[] FindRunning(long caller, long[] calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var answer = new List<long>(calls.Length + 1) { SiloId };
        foreach (var call in calls)
        {
            if (_calls.ContainsKey(new CallId(caller, call)))
            {
                answer.Add(call);
            }
        }

        return [.. answer];
    }

    private async Task<byte[]> RunCoreAsync(byte[] request, CancellationToken cancellationToken)
    {
        ShippedMethod method;
        TimeSpan deadline;
        int count;
        int[] offsets;
        int[] lengths;
        try
        {
            (deadline, method, offsets, lengths, count) = Parse(request);
        }
        catch (InvalidDataException ex)
        {
            return DistributedWire.Refusal(DistributedWire.CannotLoad, $"The silo could not read the request: {ex.Message}");
        }

        try
        {
            var resolution = _resolved.GetOrAdd(method.Key, static (_, state) => state.self.Resolve(state.method), (self: this, method));
            if (resolution.Runner is not { } runner)
            {
                return DistributedWire.Refusal(resolution.Verdict, resolution.Message!);
            }

            // About 12 bytes per tiny result (a verdict, a length, the value); the buffer grows for larger ones.
            using var output = new PayloadBuffer(Math.Max(256, count * 16));
            output.WriteByte(DistributedWire.Ran);
            output.WriteInt64(SiloId);
            output.WriteInt32(count);
            Interlocked.Add(ref _itemsRun, count);
            Interlocked.Increment(ref _batchesRun);

            // The caller gives up at its deadline; stop there too, in case its cancellation does not reach this silo.
            using var expiry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            expiry.CancelAfter(deadline);
            Interlocked.Increment(ref _running);
            try
            {
                await runner.RunAsync(request, offsets, lengths, count, _serializer, output, expiry.Token).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }

            return output.ToArray();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(offsets);
            ArrayPool<int>.Shared.Return(lengths);
        }
    }

    /// <summary>Reads the request's header and finds its items; the two arrays are rented, and returned by the caller once the batch has run.</summary>
    private static (TimeSpan Deadline, ShippedMethod Method, int[] Offsets, int[] Lengths, int Count) Parse(byte[] request)
    {
        var reader = new PayloadReader(request);
        var ticks = reader.ReadInt64();
        if (ticks <= 0)
        {
            throw new InvalidDataException($"Malformed request: call deadline {ticks} ticks.");
        }

        _ = reader.Take(CallId.Size);

        var method = ShippedMethod.Read(ref reader);
        var count = reader.ReadInt32();
        if (count < 0 || count > request.Length / 4)
        {
            throw new InvalidDataException($"Malformed batch: {count} items in {request.Length} bytes.");
        }

        var offsets = ArrayPool<int>.Shared.Rent(count);
        var lengths = ArrayPool<int>.Shared.Rent(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var item = reader.ReadBytes();
                lengths[i] = item.Length;
                offsets[i] = request.Length - reader.Remaining - item.Length;
            }
        }
        catch
        {
            ArrayPool<int>.Shared.Return(offsets);
            ArrayPool<int>.Shared.Return(lengths);
            throw;
        }

        return (TimeSpan.FromTicks(ticks), method, offsets, lengths, count);
    }

    private Resolution Resolve(ShippedMethod method)
    {
        var refused = new Resolution(DistributedWire.NotAllowed, null,
            $"Work '{method.DisplayName}' is not allowed on silo '{Environment.MachineName}': a silo runs only the static methods and non-capturing lambdas of types registered with " +
            $"AddConcurrencyToolkitWorkers(o => o.Allow(typeof(...)))" + (_options.AllowMarkedWork ? " or marked [DistributedWork]" : string.Empty) +
            ". Register the declaring type on every silo, or mark the method. Nothing ran.");

        // Types are looked up only in assemblies the silo has already loaded, so that a caller cannot make the
        // silo load an assembly by naming it.
        var type = FindLoadedType(method.TypeName);
        if (type is null)
        {
            return new Resolution(DistributedWire.CannotLoad, null, $"Work '{method.DisplayName}' cannot run on silo '{Environment.MachineName}': type '{method.TypeName}' is not loaded there. Deploy the assembly that declares the work with the silo and allow its type there (registering the type loads its assembly). Nothing ran.");
        }

        var allowed = _options.IsAllowedType(type);
        if (!allowed)
        {
            var declared = type.GetMethods(AllDeclared).FirstOrDefault(m => m.MetadataToken == method.MethodToken);
            allowed = declared is not null && _options.IsMarked(declared);
        }

        if (!allowed)
        {
            return refused;
        }

        try
        {
            return new Resolution(DistributedWire.Ran, ItemRunner.Create(method), null);
        }
        catch (InvalidOperationException ex)
        {
            return new Resolution(DistributedWire.CannotLoad, null, $"Work '{method.DisplayName}' cannot run on silo '{Environment.MachineName}': {ex.Message}");
        }
    }

    private static Type? FindLoadedType(string assemblyQualifiedName)
    {
        var comma = TopLevelComma(assemblyQualifiedName);
        if (comma < 0)
        {
            return null;
        }

        var typeName = assemblyQualifiedName[..comma].Trim();
        var assemblyName = new AssemblyName(assemblyQualifiedName[(comma + 1)..].Trim());
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (string.Equals(assembly.GetName().Name, assemblyName.Name, StringComparison.Ordinal))
            {
                return assembly.GetType(typeName, throwOnError: false);
            }
        }

        return null;
    }

    private static int TopLevelComma(string name)
    {
        var depth = 0;
        for (var i = 0; i < name.Length; i++)
        {
            switch (name[i])
            {
                case '[':
                    depth++;
                    break;
                case ']':
                    depth--;
                    break;
                case ',' when depth == 0:
                    return i;
            }
        }

        return -1;
    }

    private sealed record Resolution(byte Verdict, ItemRunner? Runner, string? Message);

    /// <summary>A call's identity: the strategy instance that made it and its number there (request bytes 8 to 23).</summary>
    private readonly record struct CallId(long Caller, long Call)
    {
        public const int Size = 16;

        public static CallId? Peek(byte[] request)
            => request is { Length: >= 8 + Size }
                ? new CallId(BinaryPrimitives.ReadInt64LittleEndian(request.AsSpan(8)), BinaryPrimitives.ReadInt64LittleEndian(request.AsSpan(16)))
                : null;
    }
}
