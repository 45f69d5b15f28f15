namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>Numbers both sides of the worker protocol agree on.</summary>
internal static class ProtocolConstants
{
    /// <summary>Bumped on any change to a frame's layout; a worker of another version is refused at hello.</summary>
    public const int Version = 3;

    /// <summary>A frame's header: a little-endian 32-bit body length, then the frame type (the body's first byte).</summary>
    public const int HeaderSize = 5;

    /// <summary>The cap on a frame before the peer is authenticated.</summary>
    public const int MaxHandshakeBytes = 4096;

    /// <summary>Bytes of the random token a worker presents in its hello.</summary>
    public const int TokenBytes = 32;

    /// <summary>The smallest <c>MaxMessageBytes</c> that still fits a handshake and a method identity.</summary>
    public const int MinMessageBytes = 64 * 1024;
}
