using Microsoft.CodeAnalysis;

namespace Concurrency.Toolkit.Generators;

/// <summary>What the generator reports when the project publishes trimmed or with Native AOT.</summary>
internal static class Diagnostics
{
    private const string Category = "Concurrency.Toolkit";
    private const string HelpLink = "https://github.com/concurrency-toolkit/concurrency-toolkit/blob/main/docs/deployment.md#trimmed-and-native-aot-apps";

    public static readonly DiagnosticDescriptor Lambda = new(
        "CTK1001",
        "A lambda cannot cross to a worker process in a trimmed or Native AOT app",
        "A lambda passed to {0} has no name to cross to a worker process by: in a Native AOT app it is refused at run time, and in a trimmed app it is found by reflection over what the trimmer kept. Move its body into a static method and pass the method by name (a method group), which this package registers for you.",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLink);

    public static readonly DiagnosticDescriptor Unreachable = new(
        "CTK1002",
        "Work the generated registration cannot reach",
        "'{0}' is passed as work, but code generated in this project cannot name it or one of its types (a local function, a private or file-local member, or a type parameter), so it is not registered and cannot cross to a worker process in a Native AOT app. Make it an internal or public static method, or register it yourself with WorkRegistry.Register in a module initializer.",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLink);

    public static readonly DiagnosticDescriptor NoJsonMetadata = new(
        "CTK1003",
        "A type of work has no source-generated System.Text.Json metadata",
        "Values of type '{0}' cross to worker processes, and trimmed and Native AOT apps serialize only types with source-generated metadata. Declare [JsonSerializable(typeof({0}))] on a JsonSerializerContext{1} and pass its options to the worker: ProcessStrategyOptions.SerializerFactory = a static method returning new JsonWorkSerializer(MyJsonContext.Default.Options).",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLink);
}
