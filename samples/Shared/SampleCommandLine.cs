namespace Concurrency.Toolkit.Samples;

/// <summary>
/// One command-line option of a sample: a flag such as <c>--quick</c>, a whole-number setting such as <c>--requests 200</c>,
/// or a text setting such as <c>--out results</c> (give <paramref name="TextValue"/>, the placeholder shown in the usage).
/// </summary>
internal sealed record SampleOption(string Name, string Help, int? Minimum = null, int? Maximum = null, string? TextValue = null)
{
    public bool TakesValue => Minimum is not null;

    public bool TakesText => TextValue is not null;
}

/// <summary>
/// The few lines of argument parsing every sample shares, so that each <c>Program.cs</c> stays about its scenario.
/// <c>--help</c> prints the usage; an unknown option or a bad value prints what was wrong, then the usage, and exits with 2.
/// </summary>
internal sealed class SampleCommandLine
{
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _texts = new(StringComparer.Ordinal);

    private SampleCommandLine()
    {
    }

    /// <summary>Parses <paramref name="args"/>; returns <see langword="null"/> with an exit code when the sample should stop (help shown or bad input).</summary>
    public static SampleCommandLine? Parse(string[] args, string name, string description, IReadOnlyList<SampleOption> options, out int exitCode)
    {
        exitCode = 0;
        var all = options.Prepend(new SampleOption("--help", "Show this help and exit.")).ToDictionary(o => o.Name, StringComparer.Ordinal);
        var parsed = new SampleCommandLine();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i] == "-h" || args[i] == "-?" ? "--help" : args[i];
            if (!all.TryGetValue(arg, out var option))
            {
                return Fail($"Unknown option '{args[i]}'.", out exitCode);
            }

            if (option.Name == "--help")
            {
                PrintUsage(Console.Out, name, description, all.Values);
                return null;
            }

            if (option.TakesText)
            {
                if (i + 1 >= args.Length || args[i + 1].Length == 0 || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    return Fail($"Option '{option.Name}' needs a value: {option.Name} <{option.TextValue}>.", out exitCode);
                }

                parsed._texts[option.Name] = args[++i];
                continue;
            }

            if (!option.TakesValue)
            {
                parsed._flags.Add(option.Name);
                continue;
            }

            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], out var value) || value < option.Minimum || value > option.Maximum)
            {
                var given = i + 1 < args.Length ? $"'{args[i + 1]}'" : "nothing";
                return Fail($"Option '{option.Name}' needs a whole number from {option.Minimum} to {option.Maximum} (got {given}).", out exitCode);
            }

            parsed._values[option.Name] = value;
            i++;
        }

        return parsed;

        SampleCommandLine? Fail(string problem, out int code)
        {
            Console.Error.WriteLine(problem);
            Console.Error.WriteLine();
            PrintUsage(Console.Error, name, description, all.Values);
            code = 2;
            return null;
        }
    }

    public bool Has(string flag) => _flags.Contains(flag);

    public int Get(string option, int fallback) => _values.TryGetValue(option, out var value) ? value : fallback;

    public string GetText(string option, string fallback) => _texts.TryGetValue(option, out var value) ? value : fallback;

    private static void PrintUsage(TextWriter to, string name, string description, IEnumerable<SampleOption> options)
    {
        to.WriteLine($"{name}: {description}");
        to.WriteLine();
        to.WriteLine($"Usage: dotnet run --project samples/{name} -- [options]");
        to.WriteLine();
        to.WriteLine("Options:");
        foreach (var option in options)
        {
            var left = option.TakesText ? $"{option.Name} <{option.TextValue}>" : option.TakesValue ? $"{option.Name} <n>" : option.Name;
            to.WriteLine($"  {left,-24} {option.Help}");
        }
    }
}
