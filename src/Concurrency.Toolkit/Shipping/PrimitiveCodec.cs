using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// The binary fast path of the default serializer: a batch of fixed-size primitives (int, long, double, ...)
/// crosses as one block of their little-endian bytes instead of one JSON text per item. Every bit pattern of these
/// types is a valid value, so a block of the right length cannot decode into anything invalid.
/// </summary>
internal static class PrimitiveCodec
{
    /// <summary>Gets the size in bytes of a value of the type with <paramref name="typeCode"/>, or 0 for an unknown code.</summary>
    public static int SizeOf(byte typeCode) => typeCode switch
    {
        1 or 2 or 3 => 1,
        4 or 5 or 6 => 2,
        7 or 8 or 9 => 4,
        10 or 11 or 12 => 8,
        _ => 0,
    };

    /// <summary>Gets the code a packed frame carries for <paramref name="type"/>, or 0 when the type is not packed.</summary>
    public static byte CodeOf(Type type)
    {
        if (!BitConverter.IsLittleEndian)
        {
            return 0;
        }

        return type == typeof(bool) ? (byte)1
            : type == typeof(byte) ? (byte)2
            : type == typeof(sbyte) ? (byte)3
            : type == typeof(short) ? (byte)4
            : type == typeof(ushort) ? (byte)5
            : type == typeof(char) ? (byte)6
            : type == typeof(int) ? (byte)7
            : type == typeof(uint) ? (byte)8
            : type == typeof(float) ? (byte)9
            : type == typeof(long) ? (byte)10
            : type == typeof(ulong) ? (byte)11
            : type == typeof(double) ? (byte)12
            : (byte)0;
    }
}

/// <summary>The typed half of <see cref="PrimitiveCodec"/>, resolved once per type.</summary>
/// <typeparam name="T">The value type.</typeparam>
internal static class PrimitiveCodec<T>
{
    /// <summary>The type's code in packed frames; 0 when <typeparamref name="T"/> is not packed.</summary>
    public static readonly byte TypeCode = PrimitiveCodec.CodeOf(typeof(T));

    /// <summary>The size of one value in a packed block.</summary>
    public static readonly int Size = TypeCode == 0 ? 0 : PrimitiveCodec.SizeOf(TypeCode);

    public static bool IsPackable => TypeCode != 0;

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, T value)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"{Size} bytes needed for a {typeof(T).Name}, {destination.Length} given.", nameof(destination));
        }

        Unsafe.WriteUnaligned(ref MemoryMarshal.GetReference(destination), value);
    }

    /// <summary>Writes <paramref name="values"/> back to back: one block copy.</summary>
    public static void WriteAll(Span<byte> destination, ReadOnlySpan<T> values)
    {
        var bytes = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(values)), values.Length * Size);
        bytes.CopyTo(destination);
    }

    /// <summary>Reads a value from the start of <paramref name="source"/>.</summary>
    public static T Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new InvalidDataException($"Malformed packed value: {Size} bytes needed for a {typeof(T).Name}, {source.Length} left.");
        }

        if (typeof(T) == typeof(bool))
        {
            // Any non-zero byte is true; normalized so that the value compares equal to true.
            var b = source[0] != 0;
            return Unsafe.As<bool, T>(ref b);
        }

        return Unsafe.ReadUnaligned<T>(ref MemoryMarshal.GetReference(source));
    }
}
