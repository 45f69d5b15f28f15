using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// The frames that open a worker's connection: the worker's hello (who it is, and the token that proves it), the host's
/// welcome (the serializer factory and initializer to run), and the worker's answer (ready, or why it could not start).
/// </summary>
internal static class Handshake
{
    /// <summary>Writes the worker's hello: protocol version, worker id, process id, authentication token.</summary>
    public static void WriteHello(FrameBuffer frame, int workerId, int processId, ReadOnlySpan<byte> token)
    {
        frame.Begin(FrameType.Hello);
        frame.WriteInt32(ProtocolConstants.Version);
        frame.WriteInt32(workerId);
        frame.WriteInt32(processId);
        frame.WriteBytes(token);
    }

    /// <summary>Reads a hello (host side).</summary>
    /// <exception cref="ProtocolViolationException">The frame is not a well-formed hello.</exception>
    public static (int Version, int WorkerId, int ProcessId, byte[] Token) ReadHello(in Frame frame)
    {
        if (frame.Type != FrameType.Hello)
        {
            throw new ProtocolViolationException($"Expected a hello, got {frame.Type}.");
        }

        return Read(frame, static (ref PayloadReader payload) => (payload.ReadInt32(), payload.ReadInt32(), payload.ReadInt32(), payload.ReadBytes().ToArray()));
    }

    /// <summary>The host's welcome: what each worker runs before it is ready.</summary>
    public static byte[] Welcome(ShippedMethod? serializerFactory, ShippedMethod? initializer)
    {
        var welcome = new FrameBuffer(1024);
        welcome.Begin(FrameType.Welcome);
        WriteOptional(welcome, serializerFactory);
        WriteOptional(welcome, initializer);
        return welcome.Complete().ToArray();
    }

    /// <summary>Reads the welcome (worker side).</summary>
    /// <exception cref="ProtocolViolationException">The frame is not a well-formed welcome.</exception>
    public static (ShippedMethod? SerializerFactory, ShippedMethod? Initializer) ReadWelcome(in Frame frame)
    {
        if (frame.Type != FrameType.Welcome)
        {
            throw new ProtocolViolationException($"Expected a welcome frame, got {frame.Type}.");
        }

        return Read(frame, static (ref PayloadReader payload) => (ReadOptional(ref payload), ReadOptional(ref payload)));
    }

    /// <summary>Writes the worker's answer that it is initialized and takes work.</summary>
    public static void WriteReady(FrameBuffer frame, int processId)
    {
        frame.Begin(FrameType.Ready);
        frame.WriteInt32(processId);
    }

    /// <summary>Starts the worker's answer that its <paramref name="stage"/> (serializer factory or initializer) failed; the error follows.</summary>
    public static void BeginInitFailed(FrameBuffer frame, string stage)
    {
        frame.Begin(FrameType.InitFailed);
        frame.WriteString(stage);
    }

    /// <summary>Reads the worker's answer to the welcome (host side).</summary>
    /// <returns><see langword="null"/> when the worker is ready; otherwise the stage that failed and its error.</returns>
    /// <exception cref="ProtocolViolationException">The frame is neither answer, or is malformed.</exception>
    public static (string Stage, RemoteError Error)? ReadAnswer(in Frame frame)
    {
        return frame.Type switch
        {
            FrameType.Ready => null,
            FrameType.InitFailed => Read(frame, static (ref PayloadReader payload) => (payload.ReadRequiredString(), RemoteError.Read(ref payload))),
            _ => throw new ProtocolViolationException($"The worker answered the handshake with a {frame.Type} frame instead of Ready."),
        };
    }

    private static T Read<T>(in Frame frame, PayloadReading<T> read)
    {
        try
        {
            var payload = new PayloadReader(frame.Payload);
            return read(ref payload);
        }
        catch (InvalidDataException ex)
        {
            throw new ProtocolViolationException(ex.Message, ex);
        }
    }

    private static void WriteOptional(FrameBuffer frame, ShippedMethod? method)
    {
        frame.WriteByte(method is null ? (byte)0 : (byte)1);
        method?.Write(frame);
    }

    private static ShippedMethod? ReadOptional(ref PayloadReader payload) => payload.ReadByte() != 0 ? ShippedMethod.Read(ref payload) : null;

    private delegate T PayloadReading<T>(ref PayloadReader payload);
}
