using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Benchmarks.Infrastructure;

/// <summary>Keeps a computed value alive so that the JIT cannot drop the work that produced it.</summary>
public static class Sink
{
    private static int _value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Consume(int value) => _value = value;

    public static int Value => _value;
}
