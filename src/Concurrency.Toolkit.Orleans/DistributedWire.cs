using System.Buffers;

namespace Concurrency.Toolkit.Orleans;

/// <summary>
/// The bytes of one grain call. Request: the call's deadline (so that the silo stops an abandoned call even if the
/// cancellation message does not reach it), the call's identity (caller and call number, 8 bytes each, which probes
/// look for), the shipped method, then the serialized inputs. Reply: a verdict on the
/// method (ran, not allowed, cannot load) and, when it ran, the silo's identity (8 bytes, which the caller's probes
/// learn routes from) and one outcome per item: a result, a remote error, a serialization failure on the silo (input
/// or result, then the error), or "not run" for the items a cancelled batch never reached.
/// </summary>
internal static class DistributedWire
{
    public const byte Ran = 0;
    public const byte NotAllowed = 1;
    public const byte CannotLoad = 2;

    public const byte ItemResult = 0;
    public const byte ItemError = 1;
    public const byte ItemNotRun = 2;
    public const byte ItemNotSerializable = 3;

    public const byte InputSide = 0;
    public const byte ResultSide = 1;

    public static byte[] Refusal(byte verdict, string message)
    {
        var writer = new ArrayBufferWriter<byte>(256);
        writer.WriteByte(verdict);
        writer.WriteString(message);
        return writer.WrittenSpan.ToArray();
    }
}
