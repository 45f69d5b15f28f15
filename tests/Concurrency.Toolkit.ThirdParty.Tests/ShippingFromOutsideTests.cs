using System.Buffers;

namespace Concurrency.Toolkit.ThirdParty.Tests;

/// <summary>
/// The shipping component used as a strategy that ships work over a boundary of its own would use it, from an
/// assembly with no access to the library's internals: identity, bytes, runner, errors.
/// </summary>
public sealed class ShippingFromOutsideTests
{
    [Fact]
    public async Task ShippedMethod_WrittenReadAndResolved_RunsTheSendersWorkWithItsShape()
    {
        var sync = ShippedMethod.For(Work<int, int>.From(ShippedWork.Square).Delegate);
        var async = ShippedMethod.For(Work<int, string>.From(ShippedWork.DescribeAsync).Delegate);
        var request = new ArrayBufferWriter<byte>();
        sync.Write(request);
        async.Write(request);
        request.WriteInt32(7);

        var reader = new PayloadReader(request.WrittenSpan);
        var first = ShippedMethod.Read(ref reader);
        var second = ShippedMethod.Read(ref reader);
        var input = reader.ReadInt32();

        Assert.Equal(sync.Key, first.Key);
        Assert.Equal(async.Key, second.Key);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal("49", await first.CreateRunner(new RunnerFactory(), "a test").RunAsync(input));
        Assert.Equal("#7", await second.CreateRunner(new RunnerFactory(), "a test").RunAsync(input));
    }

    [Fact]
    public void ShippedMethod_For_CapturingLambda_RefusedNamingWhatItCaptured()
    {
        var factor = 3;

        var refused = Assert.Throws<WorkNotShippableException>(() => ShippedMethod.For(Work<int, int>.From(x => x * factor).Delegate));

        Assert.Contains("'factor'", refused.Message, StringComparison.Ordinal);
        Assert.False(ShippedMethod.CanShip(Work<int, int>.From(x => x * factor).Delegate, out var reason));
        Assert.Contains("factor", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedError_WrittenAndRead_ArrivesAsRemoteWorkExceptionWithItsInnerException()
    {
        var buffer = new ArrayBufferWriter<byte>();
        ShippedError.Write(buffer, new InvalidOperationException("outer", new FormatException("inner")), maxBytes: 64 * 1024);

        var reader = new PayloadReader(buffer.WrittenSpan);
        var error = ShippedError.Read(ref reader);

        Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType);
        Assert.Equal("outer", error.RemoteMessage);
        var inner = Assert.IsType<RemoteWorkException>(error.InnerException);
        Assert.Equal(typeof(FormatException).FullName, inner.RemoteType);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void ShippedError_Write_LongerThanTheCap_FitsAndNotesTheCut()
    {
        var buffer = new ArrayBufferWriter<byte>();

        ShippedError.Write(buffer, new InvalidOperationException(new string('x', 100_000)), maxBytes: ShippedError.MinMaxBytes);

        Assert.InRange(buffer.WrittenCount, 1, ShippedError.MinMaxBytes);
        var reader = new PayloadReader(buffer.WrittenSpan);
        Assert.Contains("cut to fit the size cap (4,096 bytes)", ShippedError.Read(ref reader).RemoteMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedError_Write_CapBelowTheMinimum_Refused()
    {
        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => ShippedError.Write(new ArrayBufferWriter<byte>(), new InvalidOperationException(), ShippedError.MinMaxBytes - 1));

        Assert.Equal("maxBytes", thrown.ParamName);
    }

    [Fact]
    public void PayloadReader_TruncatedPayload_ThrowsInvalidDataException()
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.WriteString("a string longer than what is left");

        Assert.Throws<InvalidDataException>(() =>
        {
            var reader = new PayloadReader(buffer.WrittenSpan[..10]);
            return reader.ReadString();
        });
    }

    /// <summary>A receiving side's runner: typed once per method, no reflection per item.</summary>
    private abstract class Runner
    {
        public abstract ValueTask<string> RunAsync(int input);
    }

    private sealed class RunnerFactory : IRunnerFactory<Runner>
    {
        public Runner Create<TIn, TOut>(Work<TIn, TOut> work) => new Typed<TIn, TOut>(work);

        private sealed class Typed<TIn, TOut>(Work<TIn, TOut> work) : Runner
        {
            public override async ValueTask<string> RunAsync(int input) => $"{await work.InvokeAsync((TIn)(object)input)}";
        }
    }
}

/// <summary>Work as an app declares it: static methods another process finds by their identity.</summary>
public static class ShippedWork
{
    public static int Square(int x) => x * x;

    public static async ValueTask<string> DescribeAsync(int x, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return $"#{x}";
    }
}
