namespace Concurrency.Toolkit.Samples.ScaleOut;

/// <summary>Work so small that only batching makes a network hop per item affordable.</summary>
public static class TinyWork
{
    public static int Square(int x) => x * x;
}
