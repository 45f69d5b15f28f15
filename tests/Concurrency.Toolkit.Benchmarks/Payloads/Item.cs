namespace Concurrency.Toolkit.Benchmarks.Payloads;

/// <summary>
/// The record of the payload suite: positional properties, so that today's serializer (System.Text.Json through the
/// constructor) carries it without attributes. The Python peer's twin is a dataclass with the same three fields.
/// </summary>
public sealed record Item(int Id, string Name, double[] Values);
