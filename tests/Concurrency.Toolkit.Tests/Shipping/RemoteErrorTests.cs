using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Tests.Shipping;

public class RemoteErrorTests
{
    [Fact]
    public void ToException_AggregateOfTwo_BothInnerExceptionsArriveInOrder()
    {
        var remote = Cross(new AggregateException(new InvalidOperationException("first"), new ArgumentException("second")));
        Assert.Equal(2, remote.InnerExceptions.Count);
        Assert.Equal("first", Assert.IsType<RemoteWorkException>(remote.InnerExceptions[0]).RemoteMessage);
        Assert.Equal("second", Assert.IsType<RemoteWorkException>(remote.InnerExceptions[1]).RemoteMessage);
        Assert.Same(remote.InnerExceptions[0], remote.InnerException);
        Assert.Contains("(Inner Exception #1)", remote.ToString());
    }

    [Fact]
    public void From_NestedAggregates_DepthAndEveryLevelKept()
    {
        var remote = Cross(new InvalidOperationException("outer", new AggregateException(new FormatException("a"), new AggregateException(new TimeoutException("b"), new TimeoutException("c")))));
        var aggregate = Assert.IsType<RemoteWorkException>(Assert.Single(remote.InnerExceptions));
        Assert.Equal(2, aggregate.InnerExceptions.Count);
        var nested = Assert.IsType<RemoteWorkException>(aggregate.InnerExceptions[1]);
        Assert.Equal(["b", "c"], nested.InnerExceptions.Cast<RemoteWorkException>().Select(e => e.RemoteMessage));
    }

    [Fact]
    public void From_MoreInnerExceptionsThanTheCap_CutWithANote()
    {
        var remote = Cross(new AggregateException(Enumerable.Range(0, 40).Select(i => new InvalidOperationException($"#{i}"))));
        Assert.Equal(RemoteError.MaxInner, remote.InnerExceptions.Count);
        Assert.Contains("16 of 40 inner exceptions kept", remote.RemoteMessage);
    }

    [Fact]
    public void From_NestedDeeperThanTheCap_CutWithANote()
    {
        Exception e = new InvalidOperationException("bottom");
        for (var i = 0; i < 12; i++)
        {
            e = new InvalidOperationException($"level {i}", e);
        }

        var remote = Cross(e);
        var depth = 0;
        for (var r = remote; r.InnerException is RemoteWorkException inner; r = inner)
        {
            depth++;
            if (inner.InnerException is null)
            {
                Assert.Contains("more than 8 levels", inner.RemoteMessage);
            }
        }

        Assert.Equal(RemoteError.MaxDepth, depth);
    }

    [Fact]
    public void From_MessageGetterThrows_DescribedInstead()
    {
        var error = RemoteError.From(new ThrowingMessageException());
        Assert.Equal(typeof(ThrowingMessageException).FullName, error.Type);
        Assert.Contains("Message getter threw", error.Message);
    }

    [Fact]
    public void FitTo_LongTexts_ShortenedEvenlyWithNotesAndInnerExceptionsKept()
    {
        var error = RemoteError.From(new AggregateException(new string('m', 100_000), Enumerable.Range(0, 16).Select(i => new InvalidOperationException($"part {i}: " + new string('y', 5000)))));
        var fitted = error.FitTo(64 * 1024);
        Assert.InRange(fitted.EncodedSize(), 1, 64 * 1024);
        Assert.Equal(16, fitted.Inner.Count);
        Assert.Contains("cut to fit MaxMessageBytes (65,536 bytes)", fitted.Message);
        Assert.All(fitted.Inner, (inner, i) => Assert.StartsWith($"part {i}: yyy", inner.Message, StringComparison.Ordinal));
        var small = RemoteError.From(new InvalidOperationException("small"));
        Assert.Same(small, small.FitTo(1000));
    }

    [Fact]
    public void FitTo_TooManyExceptionsForShortTexts_LastOnesDroppedWithANote()
    {
        var error = RemoteError.From(new AggregateException(Enumerable.Range(0, 16).Select(i => new AggregateException($"group {i}", Enumerable.Range(0, 7).Select(k => new InvalidOperationException(new string('z', 2000)))))));
        var fitted = error.FitTo(16 * 1024);
        Assert.InRange(fitted.EncodedSize(), 1, 16 * 1024);
        Assert.True(fitted.Inner.Count < 16 || fitted.Inner.Any(i => i.Inner.Count < 7));
        Assert.Contains("inner exceptions cut to fit MaxMessageBytes", Flatten(fitted));
        Assert.StartsWith("group 0", fitted.Inner[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MoreExceptionsThanTheTotalCap_Refused()
    {
        var buffer = new FrameBuffer();
        buffer.WriteString("T");
        buffer.WriteString("m");
        buffer.WriteString(null);
        buffer.WriteInt32(RemoteError.MaxInner + 1);
        Assert.Throws<InvalidDataException>(() =>
        {
            var reader = new PayloadReader(buffer.Written);
            return RemoteError.Read(ref reader);
        });
    }

    private static RemoteWorkException Cross(Exception exception)
    {
        var buffer = new FrameBuffer();
        RemoteError.From(exception).Write(buffer);
        var reader = new PayloadReader(buffer.Written);
        var error = RemoteError.Read(ref reader);
        Assert.Equal(0, reader.Remaining);
        return error.ToException();
    }

    private static string Flatten(RemoteError error) => error.Message + string.Concat(error.Inner.Select(Flatten));

    private sealed class ThrowingMessageException : Exception
    {
        public override string Message => throw new NotSupportedException();
    }
}
