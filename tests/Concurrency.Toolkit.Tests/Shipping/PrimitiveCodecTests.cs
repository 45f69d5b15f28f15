using System.Text.Json;
using System.Text.Json.Serialization;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Tests.Shipping;

public class PrimitiveCodecTests
{
    [Fact]
    public void RoundTrip_EverySupportedType_EdgeValuesUnchanged()
    {
        AssertRoundTrips(true, false);
        AssertRoundTrips(byte.MinValue, byte.MaxValue, (byte)7);
        AssertRoundTrips(sbyte.MinValue, sbyte.MaxValue, (sbyte)-1);
        AssertRoundTrips(short.MinValue, short.MaxValue, (short)-1);
        AssertRoundTrips(ushort.MinValue, ushort.MaxValue);
        AssertRoundTrips(char.MinValue, char.MaxValue, 'é', '\uD800');
        AssertRoundTrips(int.MinValue, int.MaxValue, 0, -1);
        AssertRoundTrips(uint.MinValue, uint.MaxValue);
        AssertRoundTrips(float.MinValue, float.MaxValue, float.Epsilon, float.NaN, float.NegativeInfinity, float.PositiveInfinity, -0f);
        AssertRoundTrips(long.MinValue, long.MaxValue, 0L, -1L);
        AssertRoundTrips(ulong.MinValue, ulong.MaxValue);
        AssertRoundTrips(double.MinValue, double.MaxValue, double.Epsilon, double.NaN, double.NegativeInfinity, double.PositiveInfinity, -0d);
    }

    [Fact]
    public void CodeOf_OtherTypes_NotPacked()
    {
        Assert.False(PrimitiveCodec<string>.IsPackable);
        Assert.False(PrimitiveCodec<decimal>.IsPackable);
        Assert.False(PrimitiveCodec<DateTime>.IsPackable);
        Assert.False(PrimitiveCodec<int?>.IsPackable);
        Assert.False(PrimitiveCodec<int[]>.IsPackable);
        Assert.False(PrimitiveCodec<(int, int)>.IsPackable);
        Assert.False(PrimitiveCodec<nint>.IsPackable);
        Assert.False(PrimitiveCodec<DayOfWeek>.IsPackable);
    }

    [Fact]
    public void TypeCodes_AreDistinct_AndSizesMatchTheTypes()
    {
        byte[] codes =
        [
            PrimitiveCodec<bool>.TypeCode, PrimitiveCodec<byte>.TypeCode, PrimitiveCodec<sbyte>.TypeCode, PrimitiveCodec<short>.TypeCode,
            PrimitiveCodec<ushort>.TypeCode, PrimitiveCodec<char>.TypeCode, PrimitiveCodec<int>.TypeCode, PrimitiveCodec<uint>.TypeCode,
            PrimitiveCodec<float>.TypeCode, PrimitiveCodec<long>.TypeCode, PrimitiveCodec<ulong>.TypeCode, PrimitiveCodec<double>.TypeCode,
        ];
        Assert.Equal(codes.Length, codes.Distinct().Count());
        Assert.DoesNotContain((byte)0, codes);
        Assert.Equal(4, PrimitiveCodec<int>.Size);
        Assert.Equal(8, PrimitiveCodec<double>.Size);
        Assert.Equal(2, PrimitiveCodec<char>.Size);
        Assert.Equal(0, PrimitiveCodec.SizeOf(0));
        Assert.Equal(0, PrimitiveCodec.SizeOf(200));
    }

    [Fact]
    public void Read_TooFewBytes_ThrowsInvalidData()
        => Assert.Throws<InvalidDataException>(() => PrimitiveCodec<long>.Read(new byte[7]));

    [Fact]
    public void Read_BoolFromAnyNonZeroByte_IsTrue()
        => Assert.True(PrimitiveCodec<bool>.Read([0x5A]));

    [Fact]
    public void WriteAll_ConsecutiveValues_OneBlockThatReadsBack()
    {
        var values = new[] { 1, -2, int.MaxValue, int.MinValue };
        var bytes = new byte[values.Length * 4];
        PrimitiveCodec<int>.WriteAll(bytes, values);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(values[i], PrimitiveCodec<int>.Read(bytes.AsSpan(i * 4)));
        }
    }

    [Fact]
    public void PacksPrimitives_DefaultOrPlainOptions_True()
    {
        Assert.True(new JsonWorkSerializer().PacksPrimitives);
        Assert.True(new JsonWorkSerializer(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }).PacksPrimitives);
    }

    [Fact]
    public void PacksPrimitives_OptionsWithAConverter_FallsBackToJson()
    {
        var options = new JsonSerializerOptions();
        options.Converters.Add(new JsonStringEnumConverter());
        Assert.False(new JsonWorkSerializer(options).PacksPrimitives);
    }

    private static void AssertRoundTrips<T>(params T[] values)
    {
        Assert.True(PrimitiveCodec<T>.IsPackable, typeof(T).Name);
        foreach (var value in values)
        {
            var bytes = new byte[PrimitiveCodec<T>.Size];
            PrimitiveCodec<T>.Write(bytes, value);
            Assert.Equal(value, PrimitiveCodec<T>.Read(bytes));
        }
    }
}
