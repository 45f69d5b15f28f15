using System.Buffers;

namespace Concurrency.Toolkit.Orleans;

/// <summary>
/// Calls the work serializer once per item without a generic virtual call when it is the default one: a generic
/// virtual method is dispatched through a run-time lookup on every call, and with tiny items the four calls per item
/// (input and result, each side) were a measurable share of the time. <see cref="JsonWorkSerializer"/> is sealed, so
/// the calls below bind directly.
/// </summary>
internal static class FastSerializer
{
    public static void Serialize<T>(WorkSerializer serializer, IBufferWriter<byte> writer, T value)
    {
        if (serializer is JsonWorkSerializer json)
        {
            json.Serialize(writer, value);
        }
        else
        {
            serializer.Serialize(writer, value);
        }
    }

    public static T Deserialize<T>(WorkSerializer serializer, ReadOnlySpan<byte> data)
        => serializer is JsonWorkSerializer json ? json.Deserialize<T>(data) : serializer.Deserialize<T>(data);
}
