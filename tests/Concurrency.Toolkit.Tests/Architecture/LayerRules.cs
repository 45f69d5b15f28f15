namespace Concurrency.Toolkit.Tests.Architecture;

/// <summary>The library's layers, lowest first: a folder uses only its own layer and the layers below it.</summary>
internal enum Layer
{
    /// <summary>Interfaces, options, records, enums and exceptions: the contract, with nothing of the library below it.</summary>
    Abstractions,

    /// <summary>What strategies are built from: the engine (the strategy base, the map engine, lanes, telemetry) and, beside it, the Shipping leaf.</summary>
    Engine,

    /// <summary>The models of concurrency, one folder each.</summary>
    Strategies,

    /// <summary>The classifier, the adaptive strategy and the provider seam it reaches strategies through.</summary>
    Classification,

    /// <summary>Registration in Microsoft.Extensions.DependencyInjection: composes everything below.</summary>
    DependencyInjection,
}

/// <summary>Where a top-level folder of the library sits.</summary>
/// <param name="Layer">Its layer.</param>
/// <param name="Component">Its part of the layer: folders of one component may use each other (without cycles); components of one layer never do.</param>
internal sealed record FolderPlace(Layer Layer, string Component);

/// <summary>
/// The layer rules that docs/architecture.md describes, checked over the references that <see cref="AssemblyReferences"/>
/// reads from a compiled assembly. Each broken rule gives one message that names the two types, their folders and
/// layers, where the reference sits and the rule.
/// </summary>
internal static class LayerRules
{
    /// <summary>The top-level folders of src/Concurrency.Toolkit and their places; a subfolder belongs to its top-level folder.</summary>
    public static readonly IReadOnlyDictionary<string, FolderPlace> Library = new Dictionary<string, FolderPlace>
    {
        ["Abstractions"] = new(Layer.Abstractions, "Abstractions"),
        ["Engine"] = new(Layer.Engine, "Engine"),
        ["Telemetry"] = new(Layer.Engine, "Engine"),
        ["Shipping"] = new(Layer.Engine, "Shipping"),
        ["ThreadPool"] = new(Layer.Strategies, "ThreadPool"),
        ["Coroutines"] = new(Layer.Strategies, "Coroutines"),
        ["Processes"] = new(Layer.Strategies, "Processes"),
        ["Classification"] = new(Layer.Classification, "Classification"),
        ["DependencyInjection"] = new(Layer.DependencyInjection, "DependencyInjection"),
    };

    /// <summary>Checks every type and reference; returns one message per broken rule (empty when all hold).</summary>
    public static IReadOnlyList<string> Check(AssemblyReferences assembly, IReadOnlyDictionary<string, FolderPlace> folders)
    {
        var problems = new List<string>();
        foreach (var type in assembly.Types.Where(t => !IsCompilerGenerated(t)).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (type.Folder is null)
            {
                problems.Add($"{type.Name} has no source file in the project's portable PDB, so it has no folder and no layer. Rule: every type of the library sits in a folder that has a layer (docs/architecture.md).");
            }
            else if (!folders.ContainsKey(TopFolder(type.Folder)))
            {
                problems.Add($"{type.Name} is in folder '{type.Folder}/', which has no layer. Rule: every top-level folder has a layer: add '{TopFolder(type.Folder)}' to LayerRules.Library and to docs/architecture.md, or move the file into a folder of its layer.");
            }
        }

        var edges = new Dictionary<(string From, string To), TypeReference>();
        foreach (var reference in assembly.References)
        {
            if (Place(reference.From, folders) is not { } from || Place(reference.To, folders) is not { } to)
            {
                continue;
            }

            var fromFolder = TopFolder(reference.From.Folder!);
            var toFolder = TopFolder(reference.To.Folder!);
            if (fromFolder != toFolder)
            {
                edges.TryAdd((fromFolder, toFolder), reference);
            }

            if (from.Layer < to.Layer)
            {
                problems.Add($"{Describe(reference, from, to)}. Rule: a layer uses only its own layer and those below it ({string.Join(" < ", Enum.GetNames<Layer>())}); move the type, or the member that needs the higher layer, to where it belongs.");
            }
            else if (from.Layer == to.Layer && from.Component != to.Component)
            {
                problems.Add($"{Describe(reference, from, to)}. Rule: the parts of one layer do not use each other (no strategy uses another strategy's types; the engine and Shipping/ are independent); move what both need down a layer.");
            }
        }

        foreach (var cycle in Cycles(edges.Keys))
        {
            var steps = cycle.Zip(cycle.Skip(1).Append(cycle[0]), (a, b) => edges[(a, b)]).Select(r => $"{r.From.Name} ({r.From.Folder}/) uses {r.To.Name} ({r.To.Folder}/) in {r.Via}");
            problems.Add($"Folder cycle {string.Join(" -> ", cycle.Append(cycle[0]))}: {string.Join("; ", steps)}. Rule: no cycles between folders; the lower folder must not know the higher one.");
        }

        return problems;
    }

    /// <summary>"Processes" for "Processes/Host".</summary>
    internal static string TopFolder(string folder)
    {
        var slash = folder.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? folder : folder[..slash];
    }

    /// <summary>Types the compiler makes on its own (<c>&lt;PrivateImplementationDetails&gt;</c>, collection-expression wrappers, embedded attributes) belong to no layer.</summary>
    private static bool IsCompilerGenerated(AssemblyType type) =>
        type.Folder is null && (type.Name.StartsWith('<') || type.Name.StartsWith("Microsoft.CodeAnalysis.", StringComparison.Ordinal) || type.Name.StartsWith("System.Runtime.CompilerServices.", StringComparison.Ordinal));

    private static FolderPlace? Place(AssemblyType type, IReadOnlyDictionary<string, FolderPlace> folders) =>
        type.Folder is not null && folders.TryGetValue(TopFolder(type.Folder), out var place) ? place : null;

    private static string Describe(TypeReference reference, FolderPlace from, FolderPlace to) =>
        $"{reference.From.Name} ({reference.From.Folder}/, layer {from.Layer}) uses {reference.To.Name} ({reference.To.Folder}/, layer {to.Layer}) in {reference.Via}";

    /// <summary>One cycle for each group of folders that reach each other (Tarjan's strongly connected components).</summary>
    private static List<List<string>> Cycles(IEnumerable<(string From, string To)> edges)
    {
        var next = edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).Order(StringComparer.Ordinal).ToList());
        var nodes = next.Keys.Concat(next.Values.SelectMany(v => v)).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var components = new List<List<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            foreach (var to in next.GetValueOrDefault(node) ?? [])
            {
                if (!index.TryGetValue(to, out var toIndex))
                {
                    Visit(to);
                    low[node] = Math.Min(low[node], low[to]);
                }
                else if (stack.Contains(to))
                {
                    low[node] = Math.Min(low[node], toIndex);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    component.Add(member);
                }
                while (member != node);
                if (component.Count > 1)
                {
                    components.Add(component);
                }
            }
        }

        foreach (var node in nodes.Where(n => !index.ContainsKey(n)))
        {
            Visit(node);
        }

        // For each edge inside a component, the shortest way back: every distinct cycle that edge closes, named once.
        var cycles = new Dictionary<string, List<string>>();
        foreach (var component in components)
        {
            foreach (var from in component.Order(StringComparer.Ordinal))
            {
                foreach (var to in next[from].Where(component.Contains))
                {
                    var cycle = ShortestPath(to, from, next, component);
                    cycle.Insert(0, from);
                    cycle.RemoveAt(cycle.Count - 1);
                    var first = cycle.IndexOf(cycle.Min(StringComparer.Ordinal)!);
                    cycle = [.. cycle.Skip(first), .. cycle.Take(first)];
                    cycles.TryAdd(string.Join(">", cycle), cycle);
                }
            }
        }

        return [.. cycles.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Value)];
    }

    /// <summary>The folders on a shortest way from <paramref name="start"/> to <paramref name="goal"/> (both included), inside <paramref name="within"/>.</summary>
    private static List<string> ShortestPath(string start, string goal, Dictionary<string, List<string>> next, List<string> within)
    {
        var cameFrom = new Dictionary<string, string> { [start] = start };
        var queue = new Queue<string>([start]);
        while (queue.Count > 0 && !cameFrom.ContainsKey(goal))
        {
            var node = queue.Dequeue();
            foreach (var to in next.GetValueOrDefault(node) ?? [])
            {
                if (within.Contains(to) && cameFrom.TryAdd(to, node))
                {
                    queue.Enqueue(to);
                }
            }
        }

        var path = new List<string> { goal };
        while (path[^1] != start)
        {
            path.Add(cameFrom[path[^1]]);
        }

        path.Reverse();
        return path;
    }
}
