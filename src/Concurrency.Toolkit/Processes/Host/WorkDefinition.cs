using System.Globalization;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// What a worker is told once before it runs items of some work: the shipped method, and the culture its items run in.
/// One id stands for one method under one caller's culture: <see cref="CultureInfo.CurrentCulture"/> and
/// <see cref="CultureInfo.CurrentUICulture"/> flow to work on threads with the caller's execution context, and cross to a
/// worker by name, so that what the work formats and parses there agrees with what it would in the caller's process.
/// </summary>
internal sealed class WorkDefinition(int id, ShippedMethod method, string culture, string uiCulture)
{
    public int Id { get; } = id;

    public ShippedMethod Method { get; } = method;

    /// <summary>Gets the frame that defines this work in a worker (the same bytes for every worker).</summary>
    public ReadOnlyMemory<byte> Frame { get; } = HostMessages.DefineWork(id, method, culture, uiCulture);

    /// <summary>Gets the key of <paramref name="method"/>'s definition for the calling code: the method and the names of its cultures.</summary>
    public static WorkKey KeyFor(ShippedMethod method) => new(method, CultureInfo.CurrentCulture.Name, CultureInfo.CurrentUICulture.Name);
}

/// <summary>
/// What a <see cref="WorkDefinition"/> is kept under: the method (one instance per method and delegate type, so compared
/// by reference, not by its long key) and the names of the caller's cultures.
/// </summary>
internal readonly record struct WorkKey(ShippedMethod Method, string Culture, string UICulture);
