using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using BenchmarkDotNet.Attributes;
using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.Engine;

/// <summary>
/// 1,000,000 tiny items (<c>x =&gt; x + 1</c>): what the engine costs per item when the work costs nothing. Times are
/// per item (OperationsPerInvoke), so Allocated is bytes per item. The in-box loops return no results; the
/// strategy's calls return every one of them (in order, for MapAsync). The quick mode warms each method up for
/// thirty runs, as BenchmarkDotNet's warm-up would: with three, the last methods of the class were still being
/// tiered up by the JIT and measured at half their speed.
/// </summary>
[QuickRuns(warmups: 30, runs: 3)]
[MemoryDiagnoser]
public class TinyItemsBenchmarks
{
    public const int Items = 1_000_000;

    private ThreadPoolStrategy _strategy = null!;

    [GlobalSetup]
    public void Setup() => _strategy = new ThreadPoolStrategy();

    [GlobalCleanup]
    public ValueTask Cleanup() => _strategy.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "Parallel.ForEachAsync")]
    public Task ParallelForEachAsync()
        => Parallel.ForEachAsync(Enumerable.Range(0, Items), static (x, _) =>
        {
            Sink.Consume(Increment(x));
            return ValueTask.CompletedTask;
        });

    [Benchmark(OperationsPerInvoke = Items, Description = "Dataflow ActionBlock")]
    public Task ActionBlock()
    {
        var block = new ActionBlock<int>(static x => Sink.Consume(Increment(x)), new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = Environment.ProcessorCount });
        for (var i = 0; i < Items; i++)
        {
            block.Post(i);
        }

        block.Complete();
        return block.Completion;
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "Channel, 2 consumers")]
    public async Task ChannelTwoConsumers()
    {
        var channel = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleWriter = true });
        var consumers = new Task[2];
        for (var c = 0; c < consumers.Length; c++)
        {
            consumers[c] = Task.Run(async () =>
            {
                var reader = channel.Reader;
                while (await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    while (reader.TryRead(out var x))
                    {
                        Sink.Consume(Increment(x));
                    }
                }
            });
        }

        for (var i = 0; i < Items; i++)
        {
            channel.Writer.TryWrite(i);
        }

        channel.Writer.Complete();
        await Task.WhenAll(consumers).ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "Parallel.ForEach (iterator)")]
    public void ParallelForEachIterator() => Parallel.ForEach(Iterate(Items), static x => Sink.Consume(Increment(x)));

    [Benchmark(OperationsPerInvoke = Items, Description = "ThreadPool MapUnorderedAsync")]
    public async Task<long> StrategyMapUnordered()
    {
        long sum = 0;
        await foreach (var o in _strategy.MapUnorderedAsync(Enumerable.Range(0, Items), Increment).ConfigureAwait(false))
        {
            sum += o.Result;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "ThreadPool MapAsync")]
    public async Task<long> StrategyMapOrdered()
    {
        long sum = 0;
        await foreach (var r in _strategy.MapAsync(Enumerable.Range(0, Items), Increment).ConfigureAwait(false))
        {
            sum += r;
        }

        return sum;
    }

    private static int Increment(int x) => x + 1;

    private static IEnumerable<int> Iterate(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return i;
        }
    }
}
