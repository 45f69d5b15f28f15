using System.Buffers;

namespace Concurrency.Toolkit;

/// <summary>
/// Turns inputs and results into bytes and back when work crosses a process boundary. Both sides must use the
/// same serializer, so a strategy builds it in every worker from a static, non-capturing factory method
/// (see <see cref="ProcessStrategyOptions.SerializerFactory"/>).
/// </summary>
/// <remarks>Implementations must be thread-safe: one instance serves all items of a strategy or a worker.</remarks>
public abstract class WorkSerializer
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="writer"/>.</summary>
    /// <typeparam name="T">The declared type of the value (the work's input or result type).</typeparam>
    /// <param name="writer">Where the bytes go.</param>
    /// <param name="value">The value.</param>
    public abstract void Serialize<T>(IBufferWriter<byte> writer, T value);

    /// <summary>Reads a value written by <see cref="Serialize{T}"/>.</summary>
    /// <typeparam name="T">The declared type of the value.</typeparam>
    /// <param name="data">The bytes of exactly one value.</param>
    /// <returns>The value.</returns>
    public abstract T Deserialize<T>(ReadOnlySpan<byte> data);

    /// <summary>
    /// Refuses, before any value is sent, a type whose values would not cross intact. A strategy calls it for the
    /// work's input and result types on every call, so an implementation should answer from a cache after the first.
    /// </summary>
    /// <typeparam name="T">The work's input or result type.</typeparam>
    /// <exception cref="WorkSerializationException">Values of the type would not cross intact; the message says why and how to fix it.</exception>
    /// <remarks>The base implementation accepts every type: a serializer of your own decides what it supports.</remarks>
    public virtual void EnsureSupported<T>()
    {
    }
}
