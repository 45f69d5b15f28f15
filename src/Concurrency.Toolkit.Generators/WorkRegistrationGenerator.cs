using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Concurrency.Toolkit.Generators;

/// <summary>
/// Registers, in a module initializer, every named static method that the project passes to a Concurrency.Toolkit call
/// (<c>RunAsync</c>, <c>MapAsync</c>, <c>MapUnorderedAsync</c>, <c>ForEachAsync</c>, <c>Work.From</c>) and to
/// <c>ProcessStrategyOptions.SerializerFactory</c> or <c>WorkerInitializer</c>, so that the work crosses to a worker
/// process by name where there are no metadata tokens (Native AOT). In an executable it also hands a Native AOT worker
/// process over to the worker before <c>Main</c>, since such apps have no startup hooks.
/// </summary>
/// <remarks>
/// When the project publishes trimmed or with Native AOT, it reports what cannot be registered: lambdas (they have no
/// name), methods the generated code cannot reach, and types of work that no <c>JsonSerializerContext</c> declares.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class WorkRegistrationGenerator : IIncrementalGenerator
{
    private const string ToolkitNamespace = "Concurrency.Toolkit";
    private const string ToolkitAssembly = "Concurrency.Toolkit";

    private static readonly string[] Primitives = ["bool", "byte", "sbyte", "short", "ushort", "char", "int", "uint", "long", "ulong", "float", "double"];

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var found = context.SyntaxProvider
            .CreateSyntaxProvider(
                static (node, _) => node is ArgumentSyntax or AssignmentExpressionSyntax,
                static (syntax, cancellationToken) => Analyze(syntax, cancellationToken))
            .Where(static f => f is not null)
            .Select(static (f, _) => f!)
            .Collect();

        var declaredJsonTypes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "System.Text.Json.Serialization.JsonSerializableAttribute",
                static (node, _) => node is ClassDeclarationSyntax,
                static (attributed, _) => attributed.Attributes
                    .Select(a => a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is ITypeSymbol t ? t.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) : null)
                    .Where(t => t is not null)
                    .Select(t => t!)
                    .ToImmutableArray())
            .SelectMany(static (types, _) => types)
            .Collect();

        var project = context.CompilationProvider.Select(static (compilation, _) => new ProjectInfo(
            compilation.GetTypeByMetadataName(ToolkitNamespace + ".WorkRegistry") is not null,
            compilation.Options.OutputKind is OutputKind.ConsoleApplication or OutputKind.WindowsApplication,
            compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonSerializerContext") is not null));

        var publish = context.AnalyzerConfigOptionsProvider.Select(static (options, _) =>
            IsTrue(options.GlobalOptions, "build_property.PublishAot") || IsTrue(options.GlobalOptions, "build_property.PublishTrimmed"));

        context.RegisterSourceOutput(found.Combine(declaredJsonTypes).Combine(project).Combine(publish), static (output, input) =>
        {
            var (((items, jsonTypes), info), trimmedOrAot) = input;
            if (!info.ReferencesToolkit)
            {
                return;
            }

            Emit(output, items, jsonTypes, info, trimmedOrAot);
        });
    }

    private static bool IsTrue(Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions options, string key)
        => options.TryGetValue(key, out var value) && string.Equals(value?.Trim(), "true", StringComparison.OrdinalIgnoreCase);

    private static Found? Analyze(GeneratorSyntaxContext syntax, CancellationToken cancellationToken)
    {
        var model = syntax.SemanticModel;
        switch (syntax.Node)
        {
            case ArgumentSyntax argument when model.GetOperation(argument, cancellationToken) is IArgumentOperation { Parameter: { } parameter } operation:
                {
                    var invoked = operation.Parent switch
                    {
                        IInvocationOperation invocation => invocation.TargetMethod,
                        IObjectCreationOperation creation => creation.Constructor,
                        _ => null,
                    };
                    if (invoked is null || !IsToolkit(invoked.ContainingType) || parameter.Type is not INamedTypeSymbol { TypeKind: TypeKind.Delegate })
                    {
                        return null;
                    }

                    var toProcess = operation.Parent is IInvocationOperation call && ReceiverIsProcessStrategy(call);
                    return FromDelegate(operation.Value, model, argument.GetLocation(), toProcess, isOption: false);
                }

            case AssignmentExpressionSyntax assignment when model.GetOperation(assignment, cancellationToken) is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } operation
                && property.Property.Name is "SerializerFactory" or "WorkerInitializer"
                && IsToolkit(property.Property.ContainingType):
                return FromDelegate(operation.Value, model, assignment.Right.GetLocation(), toProcess: true, isOption: true);

            default:
                return null;
        }
    }

    private static Found? FromDelegate(IOperation value, SemanticModel model, Location location, bool toProcess, bool isOption)
    {
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        if (value is not IDelegateCreationOperation { Type: INamedTypeSymbol delegateType } creation)
        {
            return null;
        }

        var where = LocationInfo.From(location);
        if (creation.Target is IAnonymousFunctionOperation)
        {
            // A lambda for threads or coroutines is fine; one for worker processes has no name to cross by.
            return toProcess ? new Found(null, EquatableArray.Empty, where, Problem.Lambda, isOption ? "this option" : "ProcessStrategy") : null;
        }

        if (creation.Target is not IMethodReferenceOperation { Method: { IsStatic: true } method })
        {
            // Instance methods are refused at run time, with the fix, whatever the publish mode.
            return null;
        }

        var display = method.ContainingType.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat) + "." + method.Name;
        if (!IsReachable(method, delegateType, model.Compilation))
        {
            return new Found(null, EquatableArray.Empty, where, Problem.Unreachable, display);
        }

        var shape = Shape(delegateType, model.Compilation);
        if (shape is null)
        {
            return null;
        }

        var methodText = method.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + method.Name
            + (method.IsGenericMethod ? "<" + string.Join(", ", method.TypeArguments.Select(t => t.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat))) + ">" : string.Empty);
        var delegateText = delegateType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var id = method.ContainingType.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat.WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.ExpandNullable)) + "." + method.Name
            + (method.IsGenericMethod ? "<" + string.Join(", ", method.TypeArguments.Select(t => t.ToDisplayString())) + ">" : string.Empty)
            + "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString())) + ")";
        var registration = shape.Value.Kind switch
        {
            ShapeKind.Work => $"global::Concurrency.Toolkit.Work<{shape.Value.Input}, {shape.Value.Result}>.From(new {delegateText}({methodText}))",
            _ => $"new {delegateText}({methodText})",
        };
        var types = shape.Value.Kind == ShapeKind.Work ? new EquatableArray([shape.Value.Input, shape.Value.Result]) : EquatableArray.Empty;
        return new Found(new Registration(id, delegateText, registration), types, where, Problem.None, display);
    }

    /// <summary>Whether generated code in this assembly can name the method and every type of its delegate.</summary>
    private static bool IsReachable(IMethodSymbol method, INamedTypeSymbol delegateType, Compilation compilation)
    {
        // A local function (the helpers of top-level statements are local functions too) or an explicit interface
        // implementation has no name other code can call it by.
        if (method.MethodKind != MethodKind.Ordinary
            || !compilation.IsSymbolAccessibleWithin(method, compilation.Assembly) || !IsNameable(method.ContainingType))
        {
            return false;
        }

        return delegateType.TypeArguments.All(t => compilation.IsSymbolAccessibleWithin(t, compilation.Assembly) && IsNameable(t))
            && method.TypeArguments.All(t => compilation.IsSymbolAccessibleWithin(t, compilation.Assembly) && IsNameable(t));
    }

    /// <summary>A type that generated code in another file can name: no file-local, anonymous or open types, and no type parameters.</summary>
    private static bool IsNameable(ITypeSymbol type) => type switch
    {
        ITypeParameterSymbol => false,
        IArrayTypeSymbol array => IsNameable(array.ElementType),
        IPointerTypeSymbol or IFunctionPointerTypeSymbol or IErrorTypeSymbol => false,
        INamedTypeSymbol named => !named.IsAnonymousType && !named.IsFileLocal && named.TypeArguments.All(IsNameable)
            && (named.ContainingType is null || IsNameable(named.ContainingType)),
        _ => true,
    };

    private static bool IsToolkit(INamedTypeSymbol? type)
        => type is not null && type.ContainingAssembly?.Name == ToolkitAssembly && type.ContainingNamespace?.ToDisplayString() == ToolkitNamespace;

    private static bool ReceiverIsProcessStrategy(IInvocationOperation call)
    {
        var receiver = call.Instance ?? (call.TargetMethod.IsExtensionMethod && call.Arguments.Length > 0 ? call.Arguments[0].Value : null);
        while (receiver is IConversionOperation conversion)
        {
            receiver = conversion.Operand;
        }

        for (var type = receiver?.Type; type is not null; type = type.BaseType)
        {
            if (type.Name == "ProcessStrategy" && IsToolkit(type as INamedTypeSymbol))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads what a delegate type stands for: work from an input to a result (with the unit type for none), or an option's delegate.</summary>
    private static WorkShape? Shape(INamedTypeSymbol delegateType, Compilation compilation)
    {
        var definition = delegateType.ConstructedFrom.ToDisplayString();
        var args = delegateType.TypeArguments;
        string Name(ITypeSymbol t) => t.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        switch (definition)
        {
            case "System.Action":
            case "System.Func<TResult>" when args[0].Name == "WorkSerializer":
                return new WorkShape(ShapeKind.Option, string.Empty, string.Empty);
            case "System.Action<T>":
                return new WorkShape(ShapeKind.Work, Name(args[0]), "global::System.ValueTuple");
            case "System.Func<T, TResult>":
                return new WorkShape(ShapeKind.Work, Name(args[0]), ResultOf(args[1], sync: true));
            case "System.Func<T1, T2, TResult>" when args[1].ToDisplayString() == "System.Threading.CancellationToken":
                return new WorkShape(ShapeKind.Work, Name(args[0]), ResultOf(args[2], sync: false));
            default:
                return null;
        }

        string ResultOf(ITypeSymbol returned, bool sync)
        {
            var display = returned.OriginalDefinition.ToDisplayString();
            return display switch
            {
                "System.Threading.Tasks.Task" or "System.Threading.Tasks.ValueTask" => "global::System.ValueTuple",
                "System.Threading.Tasks.Task<TResult>" or "System.Threading.Tasks.ValueTask<TResult>" => Name(((INamedTypeSymbol)returned).TypeArguments[0]),
                _ when sync => Name(returned),
                _ => "?",
            };
        }
    }

    private static void Emit(SourceProductionContext output, ImmutableArray<Found> items, ImmutableArray<string> jsonTypes, ProjectInfo info, bool trimmedOrAot)
    {
        if (trimmedOrAot)
        {
            foreach (var item in items.Where(i => i.Problem != Problem.None))
            {
                output.ReportDiagnostic(Diagnostic.Create(item.Problem == Problem.Lambda ? Diagnostics.Lambda : Diagnostics.Unreachable, item.Where.ToLocation(), item.Display));
            }

            ReportMissingJsonMetadata(output, items, jsonTypes, info);
        }

        var registrations = items.Where(i => i.Registration is not null && !i.Registration.Code.Contains("?")).Select(i => i.Registration!)
            .Distinct()
            .OrderBy(r => r.Id, StringComparer.Ordinal)
            .ThenBy(r => r.DelegateType, StringComparer.Ordinal)
            .ToList();
        if (registrations.Count == 0 && !info.IsExecutable)
        {
            return;
        }

        var code = new StringBuilder();
        code.AppendLine("// <auto-generated/>");
        code.AppendLine("// Concurrency.Toolkit: registers the work this project passes to strategies, so that it crosses to worker processes by name.");
        code.AppendLine("#nullable enable");
        code.AppendLine();
        code.AppendLine("namespace Concurrency.Toolkit.Generated");
        code.AppendLine("{");
        code.AppendLine("    [global::System.CodeDom.Compiler.GeneratedCode(\"Concurrency.Toolkit.Generators\", \"1.0\")]");
        code.AppendLine("    [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
        code.AppendLine("    internal static class ConcurrencyToolkitWorkRegistrations");
        code.AppendLine("    {");
        code.AppendLine("        [global::System.Runtime.CompilerServices.ModuleInitializer]");
        code.AppendLine("        internal static void Register()");
        code.AppendLine("        {");
        string? previous = null;
        foreach (var registration in registrations)
        {
            // The same method converted to two delegate types (covariant results) is two registrations.
            var name = registration.Id == previous ? $"{registration.Id} as {registration.DelegateType.Replace("global::", string.Empty)}" : registration.Id;
            previous = registration.Id;
            code.Append("            global::Concurrency.Toolkit.WorkRegistry.Register(").Append(SymbolDisplay.FormatLiteral(name, quote: true)).Append(", ").Append(registration.Code).AppendLine(");");
        }

        if (info.IsExecutable)
        {
            if (registrations.Count > 0)
            {
                code.AppendLine();
            }

            code.AppendLine("            // Native AOT has no startup hooks: a worker process of this app is handed over here, before Main. Under the JIT");
            code.AppendLine("            // (where this initializer runs as the module's type initializer) the startup hook or the worker assembly does it.");
            code.AppendLine("            if (!global::System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)");
            code.AppendLine("            {");
            code.AppendLine("                var args = global::System.Environment.GetCommandLineArgs();");
            code.AppendLine("                if (global::Concurrency.Toolkit.ProcessWorker.IsWorkerInvocation(args))");
            code.AppendLine("                {");
            code.AppendLine("                    global::System.Environment.Exit(global::Concurrency.Toolkit.ProcessWorker.Run(args));");
            code.AppendLine("                }");
            code.AppendLine("            }");
        }

        code.AppendLine("        }");
        code.AppendLine("    }");
        code.AppendLine("}");
        output.AddSource("ConcurrencyToolkitWorkRegistrations.g.cs", code.ToString());
    }

    /// <summary>Where reflection-based System.Text.Json is off, a type of work that no context declares is refused at the first call: say so now.</summary>
    private static void ReportMissingJsonMetadata(SourceProductionContext output, ImmutableArray<Found> items, ImmutableArray<string> jsonTypes, ProjectInfo info)
    {
        var declared = new HashSet<string>(jsonTypes, StringComparer.Ordinal);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items.Where(i => i.Registration is not null))
        {
            foreach (var type in item.Types)
            {
                if (!NeedsJsonMetadata(type) || declared.Any(d => Mentions(d, type)) || !reported.Add(type))
                {
                    continue;
                }

                output.ReportDiagnostic(Diagnostic.Create(Diagnostics.NoJsonMetadata, item.Where.ToLocation(), type.Replace("global::", string.Empty), info.HasJsonContext ? string.Empty : " (this project has none yet)"));
            }
        }
    }

    /// <summary>Types that cross as binary values or raw bytes with the default serializer need no System.Text.Json metadata.</summary>
    private static bool NeedsJsonMetadata(string type)
    {
        var element = type.EndsWith("[]", StringComparison.Ordinal) ? type.Substring(0, type.Length - 2) : null;
        return !(Primitives.Contains(type) || type is "string" or "global::System.ValueTuple" or "global::System.ReadOnlyMemory<byte>" || (element is not null && Primitives.Contains(element)));
    }

    /// <summary>Whether a declared type names <paramref name="type"/>, itself or as a type argument or element (whose metadata the JSON generator then emits too).</summary>
    private static bool Mentions(string declared, string type)
    {
        for (var at = declared.IndexOf(type, StringComparison.Ordinal); at >= 0; at = declared.IndexOf(type, at + 1, StringComparison.Ordinal))
        {
            var end = at + type.Length;
            if (end == declared.Length || declared[end] is '>' or ',' or '[' or ' ' or '?')
            {
                return true;
            }
        }

        return false;
    }

    private enum Problem
    {
        None,
        Lambda,
        Unreachable,
    }

    private enum ShapeKind
    {
        Work,
        Option,
    }

    private readonly record struct WorkShape(ShapeKind Kind, string Input, string Result);

    private sealed record ProjectInfo(bool ReferencesToolkit, bool IsExecutable, bool HasJsonContext);

    private sealed record Registration(string Id, string DelegateType, string Code);

    /// <summary>What one argument or assignment contributes: a registration, or a problem to report. Equatable, so the pipeline caches it.</summary>
    private sealed record Found(Registration? Registration, EquatableArray Types, LocationInfo Where, Problem Problem, string Display);
}
