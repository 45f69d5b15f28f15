using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;

namespace Concurrency.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// The quick side-by-side mode: runs the same [Benchmark] methods that BenchmarkDotNet runs, timed with a plain
/// Stopwatch, a few runs each, and prints items per second and the ratio to the class's baseline. It takes seconds,
/// not minutes, so CI can prove that every benchmark still runs; the figures are indicative, BenchmarkDotNet's are
/// the ones to quote.
/// </summary>
public static class QuickRunner
{
    public static async Task<int> RunAsync(IEnumerable<BenchmarkSuite> suites, string? filter, int? runsOverride, int? itemsOverride = null)
    {
        var pattern = filter is null ? null : new Regex("^" + Regex.Escape(filter).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.IgnoreCase);
        var failures = 0;
        var total = Stopwatch.StartNew();
        Console.WriteLine($"Quick side-by-side run: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine("ratio = time / baseline time (as BenchmarkDotNet prints it: below 1 is faster than the baseline); best of the measured runs.");
        Console.WriteLine("CPU ns/item = process CPU time (all threads) per item, the least of the runs: steadier than wall time on a busy machine.");
        foreach (var suite in suites)
        {
            if (suite.HasOwnQuickRun)
            {
                failures += await suite.RunQuickAsync(new QuickRunSettings(pattern, runsOverride, itemsOverride));
            }
            else
            {
                failures += await RunTypesAsync(suite.BenchmarkTypes, pattern, runsOverride, itemsOverride);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Quick run finished in {total.Elapsed.TotalSeconds:F1} s, {failures} failed.");
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> RunTypesAsync(IEnumerable<Type> types, Regex? pattern, int? runsOverride, int? itemsOverride)
    {
        var failures = 0;
        foreach (var type in types)
        {
            var methods = type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
                .Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null)
                .OrderBy(m => m.MetadataToken)
                .Where(m => pattern is null || pattern.IsMatch($"{type.FullName}.{m.Name}") || pattern.IsMatch($"{type.Name}.{m.Name}"))
                .ToList();
            if (methods.Count == 0)
            {
                continue;
            }

            failures += await RunClassAsync(type, methods, runsOverride, itemsOverride);
        }

        return failures;
    }

    private static async Task<int> RunClassAsync(Type type, List<MethodInfo> methods, int? runsOverride, int? itemsOverride)
    {
        var plan = type.GetCustomAttribute<QuickRunsAttribute>() ?? new QuickRunsAttribute(3, 3);
        var runs = runsOverride ?? plan.Runs;
        var instance = Activator.CreateInstance(type)!;
        SetFirstParams(instance);
        int? scaledItems = null;
        if (instance is IScalableBenchmark scalable && (itemsOverride ?? (plan.Items > 0 ? plan.Items : null)) is { } quickItems)
        {
            scalable.Items = quickItems;
            scaledItems = quickItems;
        }

        var failures = 0;
        var rows = new List<(string Name, bool Baseline, long Items, double Best, double Median, double BytesPerItem, double CpuPerItem, string? Error)>();
        Console.WriteLine();
        Console.WriteLine(scaledItems is { } n ? string.Create(CultureInfo.InvariantCulture, $"## {type.Name} ({n:N0} items per run)") : $"## {type.Name}");
        try
        {
            await InvokeAllAsync(instance, typeof(GlobalSetupAttribute));
            foreach (var method in methods)
            {
                var attribute = method.GetCustomAttribute<BenchmarkAttribute>()!;
                var items = scaledItems ?? Math.Max(1, attribute.OperationsPerInvoke);
                try
                {
                    for (var i = 0; i < plan.Warmups; i++)
                    {
                        await InvokeOnceAsync(instance, method);
                    }

                    var times = new List<double>();
                    double bytes = 0;
                    double cpu = 0;
                    for (var i = 0; i < Math.Max(1, runs); i++)
                    {
                        var (elapsed, cpuUsed, allocated) = await InvokeOnceAsync(instance, method);
                        times.Add(elapsed);
                        bytes = i == 0 ? allocated : Math.Min(bytes, allocated);
                        cpu = i == 0 ? cpuUsed : Math.Min(cpu, cpuUsed);
                    }

                    times.Sort();
                    rows.Add((attribute.Description ?? method.Name, attribute.Baseline, items, times[0], times[times.Count / 2], bytes / items, cpu / items, null));
                }
                catch (Exception ex)
                {
                    failures++;
                    var inner = ex is TargetInvocationException { InnerException: { } e } ? e : ex;
                    rows.Add((attribute.Description ?? method.Name, attribute.Baseline, items, double.NaN, double.NaN, double.NaN, double.NaN, $"{inner.GetType().Name}: {inner.Message}"));
                }
            }
        }
        finally
        {
            await InvokeAllAsync(instance, typeof(GlobalCleanupAttribute));
        }

        var baseline = rows.FirstOrDefault(r => r.Baseline && r.Error is null);
        var width = Math.Max(10, rows.Max(r => r.Name.Length + (r.Baseline ? " (base)".Length : 0)));
        Console.WriteLine($"| {"Method".PadRight(width)} | {"items/s",14} | {"best ms",9} | {"median ms",9} | {"ratio",6} | {"B/item",8} | {"CPU ns/item",11} |");
        Console.WriteLine($"|{new string('-', width + 2)}|{new string('-', 16)}|{new string('-', 11)}|{new string('-', 11)}|{new string('-', 8)}|{new string('-', 10)}|{new string('-', 13)}|");
        foreach (var r in rows)
        {
            if (r.Error is not null)
            {
                Console.WriteLine($"| {r.Name.PadRight(width)} | FAILED: {r.Error}");
                continue;
            }

            var perSecond = r.Items / r.Best;
            var ratio = baseline.Name is null ? "?" : (r.Best / baseline.Best).ToString("F2", CultureInfo.InvariantCulture);
            var name = r.Baseline ? r.Name + " (base)" : r.Name;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name.PadRight(width)} | {perSecond,14:N0} | {r.Best * 1000,9:F1} | {r.Median * 1000,9:F1} | {ratio,6} | {r.BytesPerItem,8:F1} | {r.CpuPerItem * 1e9,11:N0} |"));
        }

        return failures;
    }

    /// <summary>Runs the benchmark once; time, CPU and allocations are measured around the method alone, not its iteration hooks.</summary>
    private static async Task<(double Elapsed, double Cpu, long Allocated)> InvokeOnceAsync(object instance, MethodInfo method)
    {
        await InvokeAllAsync(instance, typeof(IterationSetupAttribute), method.Name);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var started = Stopwatch.GetTimestamp();
        await AwaitResult(method.Invoke(instance, null));
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        await InvokeAllAsync(instance, typeof(IterationCleanupAttribute), method.Name);
        return (elapsed, cpu, allocated);
    }

    /// <summary>Invokes the methods marked with <paramref name="attribute"/>; for iteration hooks, only those targeting <paramref name="benchmark"/> (or all).</summary>
    private static async Task InvokeAllAsync(object instance, Type attribute, string? benchmark = null)
    {
        foreach (var m in instance.GetType().GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.IsDefined(attribute)))
        {
            if (benchmark is not null && m.GetCustomAttribute(attribute) is TargetedAttribute { Targets: { Length: > 0 } targets } && !targets.Contains(benchmark))
            {
                continue;
            }

            await AwaitResult(m.Invoke(instance, null));
        }
    }

    private static async Task AwaitResult(object? result)
    {
        switch (result)
        {
            case Task task:
                await task;
                break;
            case ValueTask valueTask:
                await valueTask;
                break;
            case not null when result.GetType().IsGenericType && result.GetType().GetGenericTypeDefinition() == typeof(ValueTask<>):
                await (Task)result.GetType().GetMethod(nameof(ValueTask<int>.AsTask))!.Invoke(result, null)!;
                break;
        }
    }

    private static void SetFirstParams(object instance)
    {
        foreach (var member in instance.GetType().GetMembers(BindingFlags.Public | BindingFlags.Instance))
        {
            if (member.GetCustomAttribute<ParamsAttribute>() is not { Values.Length: > 0 } p)
            {
                continue;
            }

            switch (member)
            {
                case PropertyInfo property:
                    property.SetValue(instance, p.Values[0]);
                    break;
                case FieldInfo field:
                    field.SetValue(instance, p.Values[0]);
                    break;
            }
        }
    }
}
