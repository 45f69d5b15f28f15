using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Tests.Shipping;

public class ShippedMethodTests
{
    private readonly int _offset = 3;

    [Fact]
    public void For_StaticMethodAndNonCapturingLambdas_RoundTripToAWorkingDelegate()
    {
        static int LocalStatic(int x) => x * 10;
        Func<int, int>[] works = [Twice, x => x + 1, static x => x - 1, LocalStatic];
        int[] expected = [8, 5, 3, 40];
        for (var i = 0; i < works.Length; i++)
        {
            var method = ShippedMethod.For(works[i]);
            var copy = Assert.IsType<Func<int, int>>(method.CreateDelegate());
            Assert.Equal(expected[i], copy(4));
        }
    }

    [Fact]
    public void For_GenericMethod_KeepsItsTypeArguments()
    {
        var method = ShippedMethod.For((Func<string, string>)Identity<string>);
        Assert.Equal("a", ((Func<string, string>)method.CreateDelegate())("a"));
    }

    [Fact]
    public void For_LambdaCapturingLocalAndThis_NamesBoth()
    {
        var factor = 2;
        var ex = Assert.Throws<WorkNotShippableException>(() => ShippedMethod.For((Func<int, int>)(x => (x * factor) + _offset)));
        Assert.Contains("factor", ex.CapturedMembers);
        Assert.Contains(ex.CapturedMembers, m => m.StartsWith("this", StringComparison.Ordinal));
        Assert.Equal("work", ex.ParamName);
    }

    [Fact]
    public void For_InstanceMethodOrBoundExtension_Refused()
    {
        Assert.Contains("instance method", Assert.Throws<WorkNotShippableException>(() => ShippedMethod.For((Func<int, int>)Add)).Message);
        var text = "abc";
        Assert.Contains("first argument", Assert.Throws<WorkNotShippableException>(() => ShippedMethod.For((Func<int, string>)text.Repeat)).Message);
    }

    [Fact]
    public void Read_WrittenIdentity_IsEqual()
    {
        var method = ShippedMethod.For((Func<int, int>)Twice);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        method.Write(buffer);
        var reader = new PayloadReader(buffer.WrittenSpan);
        Assert.Equal(method.Key, ShippedMethod.Read(ref reader).Key);
        Assert.Equal(0, reader.Remaining);
    }

    private static int Twice(int x) => x * 2;

    private static T Identity<T>(T x) => x;

    private int Add(int x) => x + _offset;
}

internal static class StringExtensions
{
    public static string Repeat(this string s, int n) => string.Concat(Enumerable.Repeat(s, n));
}
