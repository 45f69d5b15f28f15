using System.Buffers;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Tests.Shipping;

/// <summary>
/// Work found by a registered name rather than by metadata: what a Native AOT app has. Each test uses names and
/// methods of its own, and removes its names, since the registry is process-wide.
/// </summary>
public class WorkRegistryTests
{
    [Fact]
    public void Register_StaticMethod_IdentityCarriesTheNameBesideTheMetadata()
    {
        const string name = "tests.registry.Triple";
        WorkRegistry.Register(name, Work<int, int>.From(Triple));
        try
        {
            var method = ShippedMethod.For((Func<int, int>)Triple);
            Assert.Equal(name, method.RegisteredName);
            Assert.True(method.HasMetadata);

            var copy = RoundTrip(method);
            Assert.Equal(name, copy.RegisteredName);
            Assert.Equal(method.Key, copy.Key);
        }
        finally
        {
            WorkRegistry.Remove(name);
        }
    }

    [Fact]
    public void ForTest_NoMetadataAndRegistered_CrossesByNameAndRunsWithoutReflection()
    {
        const string name = "tests.registry.Negate";
        WorkRegistry.Register(name, Work<int, int>.From(Negate));
        try
        {
            var method = ShippedMethod.ForTest((Func<int, int>)Negate, metadataAvailable: false);
            Assert.False(method.HasMetadata);
            Assert.Equal(name, method.DisplayName);

            var received = RoundTrip(method);
            Assert.False(received.HasMetadata);
            var runner = received.CreateRunner(new InvokingFactory(), "a test");
            Assert.Equal(-5, runner.Invoke(5));
            Assert.False(runner.IsAsync);
        }
        finally
        {
            WorkRegistry.Remove(name);
        }
    }

    [Fact]
    public async Task ForTest_NoMetadataAndRegisteredAsyncWork_KeepsItsShape()
    {
        const string name = "tests.registry.LengthAsync";
        WorkRegistry.Register(name, Work<string, int>.From(LengthAsync));
        try
        {
            var received = RoundTrip(ShippedMethod.ForTest((Func<string, CancellationToken, ValueTask<int>>)LengthAsync, metadataAvailable: false));
            var work = received.CreateRunner(new KeepingFactory(), "a test");
            var typed = Assert.IsType<Work<string, int>>(work);
            Assert.True(typed.IsAsync);
            Assert.Equal(3, await typed.InvokeAsync("abc"));
        }
        finally
        {
            WorkRegistry.Remove(name);
        }
    }

    [Fact]
    public void ForTest_NoMetadataAndNotRegistered_RefusedNamingTheFix()
    {
        var ex = Assert.Throws<WorkNotShippableException>(() => ShippedMethod.ForTest((Func<int, int>)Unregistered, metadataAvailable: false));
        Assert.Contains(nameof(Unregistered), ex.Message);
        Assert.Contains("Native AOT", ex.Message);
        Assert.Contains("static method", ex.Message);
        Assert.Contains("WorkRegistry.Register", ex.Message);
        Assert.Equal("work", ex.ParamName);
    }

    [Fact]
    public void ForTest_NoMetadataAndALambda_RefusedSayingToMoveItsBody()
    {
        var ex = Assert.Throws<WorkNotShippableException>(() => ShippedMethod.ForTest((Func<int, int>)(x => x + 1), metadataAvailable: false));
        Assert.Contains("lambda", ex.Message);
    }

    [Fact]
    public void CreateDelegate_NameRegisteredOnlyInTheSender_SaysWhereRegistrationsBelong()
    {
        const string name = "tests.registry.OnlyInTheHost";
        WorkRegistry.Register(name, Work<int, int>.From(OnlyInTheHost));
        ShippedMethod sent;
        try
        {
            sent = ShippedMethod.ForTest((Func<int, int>)OnlyInTheHost, metadataAvailable: false);
        }
        finally
        {
            WorkRegistry.Remove(name);
        }

        // The receiving process never ran the registration.
        var ex = Assert.Throws<InvalidOperationException>(() => RoundTrip(sent).CreateDelegate());
        Assert.Contains(name, ex.Message);
        Assert.Contains("module initializer", ex.Message);
    }

    [Fact]
    public void Register_SameMethodUnderTheSameNameTwice_IsHarmless()
    {
        const string name = "tests.registry.Twice";
        try
        {
            WorkRegistry.Register(name, Work<int, int>.From(Square));
            WorkRegistry.Register(name, Work<int, int>.From(Square));
            Assert.Same(WorkRegistry.Find(name), WorkRegistry.Find((Func<int, int>)Square));
        }
        finally
        {
            WorkRegistry.Remove(name);
        }
    }

    [Fact]
    public void Register_NameTakenByOtherWork_Throws()
    {
        const string name = "tests.registry.Taken";
        WorkRegistry.Register(name, Work<int, int>.From(Cube));
        try
        {
            var ex = Assert.Throws<ArgumentException>(() => WorkRegistry.Register(name, Work<int, int>.From(Negate)));
            Assert.Contains(nameof(Cube), ex.Message);
            Assert.Equal("name", ex.ParamName);
        }
        finally
        {
            WorkRegistry.Remove(name);
        }
    }

    [Fact]
    public void Register_CapturingLambdaOrEmptyName_Refused()
    {
        var offset = Environment.ProcessorCount;
        Assert.Throws<WorkNotShippableException>(() => WorkRegistry.Register("tests.registry.Captures", Work<int, int>.From(x => x + offset)));
        Assert.Null(WorkRegistry.Find("tests.registry.Captures"));
        Assert.Throws<ArgumentException>(() => WorkRegistry.Register(" ", Work<int, int>.From(Cube)));
    }

    [Fact]
    public void Register_SerializerFactory_IsFoundByNameWithoutMetadata()
    {
        const string name = "tests.registry.Serializer";
        WorkRegistry.Register(name, (Func<WorkSerializer>)CreateSerializer);
        try
        {
            var received = RoundTrip(ShippedMethod.ForTest((Func<WorkSerializer>)CreateSerializer, metadataAvailable: false));
            Assert.IsType<JsonWorkSerializer>(((Func<WorkSerializer>)received.CreateDelegate())());
            Assert.Throws<InvalidOperationException>(() => received.CreateRunner(new KeepingFactory(), "a test"));
        }
        finally
        {
            WorkRegistry.Remove(name);
        }
    }

    private static ShippedMethod RoundTrip(ShippedMethod method)
    {
        var buffer = new ArrayBufferWriter<byte>();
        method.Write(buffer);
        var reader = new PayloadReader(buffer.WrittenSpan);
        var read = ShippedMethod.Read(ref reader);
        Assert.Equal(0, reader.Remaining);
        return read;
    }

    private static int Triple(int x) => x * 3;

    private static int Negate(int x) => -x;

    private static int Unregistered(int x) => x;

    private static int OnlyInTheHost(int x) => x;

    private static int Square(int x) => x * x;

    private static int Cube(int x) => x * x * x;

    private static ValueTask<int> LengthAsync(string s, CancellationToken cancellationToken) => ValueTask.FromResult(s.Length);

    private static WorkSerializer CreateSerializer() => new JsonWorkSerializer();

    private interface IRunner
    {
        bool IsAsync { get; }

        int Invoke(int input);
    }

    private sealed class InvokingFactory : IRunnerFactory<IRunner>
    {
        public IRunner Create<TIn, TOut>(Work<TIn, TOut> work) => new Runner<TIn, TOut>(work);
    }

    private sealed class Runner<TIn, TOut>(Work<TIn, TOut> work) : IRunner
    {
        public bool IsAsync => work.IsAsync;

        public int Invoke(int input) => (int)(object)work.InvokeAsync((TIn)(object)input).AsTask().GetAwaiter().GetResult()!;
    }

    private sealed class KeepingFactory : IRunnerFactory<object>
    {
        public object Create<TIn, TOut>(Work<TIn, TOut> work) => work;
    }
}
