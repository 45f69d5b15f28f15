namespace Concurrency.Toolkit.Samples.Hosted;

/// <summary>One order waiting to be processed. Orders with no items are invalid and fail.</summary>
public sealed record Order(int Id, string Customer, int Items);
