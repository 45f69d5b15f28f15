using System.Buffers.Binary;
using System.Net.Sockets;
using Concurrency.Toolkit.Processes.Protocol;

namespace Concurrency.Toolkit.Tests.Processes;

public class ProcessChannelSecurityTests
{
    [Fact]
    public async Task Channel_DirectoryIsPrivateToTheUser()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(Path.GetDirectoryName(s.ChannelPath)!);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, mode);
        }
    }

    [Fact]
    public async Task Channel_ConnectionWithoutTheToken_IsClosedAndPoolUnharmed()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        Assert.Equal(2, await s.RunAsync(ProcessWork.AddOne, 1));

        using var rogue = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await rogue.ConnectAsync(new UnixDomainSocketEndPoint(s.ChannelPath));
        var hello = new byte[5 + 4 + 4 + 4 + 4 + 32];
        BinaryPrimitives.WriteInt32LittleEndian(hello, hello.Length - 4);
        hello[4] = (byte)FrameType.Hello;
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(5), ProtocolConstants.Version);
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(9), 1);
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(13), Environment.ProcessId);
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(17), 32);
        await rogue.SendAsync(hello);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var read = await rogue.ReceiveAsync(new byte[16], timeout.Token);
        Assert.Equal(0, read);
        Assert.Equal(4, await s.RunAsync(ProcessWork.AddOne, 3));
    }

    [Fact]
    public async Task Channel_OversizedHello_IsClosedBeforeAllocating()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        using var rogue = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await rogue.ConnectAsync(new UnixDomainSocketEndPoint(s.ChannelPath));
        await rogue.SendAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F, (byte)FrameType.Hello });

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.Equal(0, await rogue.ReceiveAsync(new byte[16], timeout.Token));
        Assert.Equal(2, await s.RunAsync(ProcessWork.AddOne, 1));
    }

    [Fact]
    public void FrameReader_TruncatedOrMalformedFrames_ThrowProtocolViolation()
    {
        Assert.Throws<ProtocolViolationException>(() => new FrameReader(new MemoryStream([1, 0]), 1024).Read());
        Assert.Throws<ProtocolViolationException>(() => new FrameReader(new MemoryStream([10, 0, 0, 0, (byte)FrameType.Results, 1]), 1024).Read());
        Assert.Throws<ProtocolViolationException>(() => new FrameReader(new MemoryStream([0, 0, 0, 0, 1]), 1024).Read());
        Assert.Throws<ProtocolViolationException>(() => new FrameReader(new MemoryStream([1, 0, 0, 0, 250]), 1024).Read());
        Assert.Throws<ProtocolViolationException>(() => new FrameReader(new MemoryStream([0, 8, 0, 0, (byte)FrameType.Results]), 1024).Read());
        Assert.Null(new FrameReader(new MemoryStream([]), 1024).Read());
    }
}
