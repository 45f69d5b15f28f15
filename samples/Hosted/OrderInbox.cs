using System.Threading.Channels;

namespace Concurrency.Toolkit.Samples.Hosted;

/// <summary>
/// The queue ("inbox") between intake and processing. Bounded, so a slow consumer slows the producer down instead of
/// letting the queue grow without limit.
/// </summary>
public sealed class OrderInbox
{
    private readonly Channel<Order> _channel = Channel.CreateBounded<Order>(new BoundedChannelOptions(100) { SingleReader = true });

    public ChannelWriter<Order> Writer => _channel.Writer;

    public ChannelReader<Order> Reader => _channel.Reader;
}
