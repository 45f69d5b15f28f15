using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Concurrency.Toolkit.Tests.Architecture;

/// <summary>A top-level type of the assembly and the project folder its source sits in.</summary>
/// <param name="Name">The full name (nested types are folded into their outermost type).</param>
/// <param name="Folder">The folder under the project directory ("Processes/Host"), or null when no source file names it.</param>
/// <param name="IsPublic">Whether the type is visible outside the assembly.</param>
internal sealed record AssemblyType(string Name, string? Folder, bool IsPublic);

/// <summary>One use of a type of the assembly by another type of the assembly.</summary>
/// <param name="From">The type that holds the reference.</param>
/// <param name="To">The type referenced.</param>
/// <param name="Via">Where the reference sits ("base type", "body of Run", "field _lanes", ...).</param>
internal sealed record TypeReference(AssemblyType From, AssemblyType To, string Via);

/// <summary>
/// Reads which of an assembly's own types use which, from the compiled metadata and IL (base types, interfaces, field,
/// method, property and event signatures, generic constraints, attributes, and every type, method and field token in
/// method bodies), and where each type's source is from the portable PDB. Reading the compiled assembly rather than the
/// source sees exactly what the compiler bound, including what <c>using</c> aliases and implicit usings hide.
/// </summary>
internal sealed class AssemblyReferences
{
    /// <summary>Roslyn's custom debug information that lists the documents of types without method bodies.</summary>
    private static readonly Guid TypeDefinitionDocuments = new("932E74BC-DBA9-4478-8D46-0F32A7BAB3D3");

    private static readonly Dictionary<short, OperandType> OperandTypes = typeof(OpCodes)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    private readonly MetadataReader _md;
    private readonly PEReader _pe;
    private readonly Dictionary<TypeDefinitionHandle, AssemblyType> _types = [];
    private readonly HashSet<(AssemblyType From, AssemblyType To)> _seen = [];
    private readonly List<TypeReference> _references = [];
    private readonly Collector _collector = new();

    private AssemblyReferences(PEReader pe, MetadataReader pdb, string projectFolderName)
    {
        _pe = pe;
        _md = pe.GetMetadataReader();
        var folders = ReadFolders(pdb, projectFolderName);
        foreach (var handle in _md.TypeDefinitions)
        {
            var outer = Outermost(handle);
            if (_types.ContainsKey(outer))
            {
                continue;
            }

            var definition = _md.GetTypeDefinition(outer);
            var visibility = definition.Attributes & System.Reflection.TypeAttributes.VisibilityMask;
            folders.TryGetValue(outer, out var folder);
            _types[outer] = new AssemblyType(Name(outer), folder, visibility == System.Reflection.TypeAttributes.Public);
        }

        foreach (var handle in _md.TypeDefinitions)
        {
            ReadType(handle);
        }
    }

    /// <summary>The assembly's top-level types (nested types are part of their outermost type).</summary>
    public IReadOnlyCollection<AssemblyType> Types => _types.Values;

    /// <summary>The first reference found between each pair of distinct top-level types.</summary>
    public IReadOnlyList<TypeReference> References => _references;

    /// <summary>Reads an assembly file and the portable PDB next to it (or embedded in it).</summary>
    /// <param name="assemblyPath">The assembly.</param>
    /// <param name="projectFolderName">The project directory's name; document paths are taken relative to it.</param>
    public static AssemblyReferences Read(string assemblyPath, string projectFolderName)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        if (!pe.TryOpenAssociatedPortablePdb(assemblyPath, p => File.Exists(p) ? File.OpenRead(p) : null, out var provider, out _) || provider is null)
        {
            throw new InvalidOperationException($"No portable PDB for {assemblyPath}: the layer check maps types to folders from it. Build with DebugType portable or embedded.");
        }

        using (provider)
        {
            return new AssemblyReferences(pe, provider.GetMetadataReader(), projectFolderName);
        }
    }

    /// <summary>Reads an assembly and its portable PDB from memory.</summary>
    public static AssemblyReferences Read(ImmutableArray<byte> assembly, ImmutableArray<byte> pdb, string projectFolderName)
    {
        using var pe = new PEReader(assembly);
        using var provider = MetadataReaderProvider.FromPortablePdbImage(pdb);
        return new AssemblyReferences(pe, provider.GetMetadataReader(), projectFolderName);
    }

    private Dictionary<TypeDefinitionHandle, string> ReadFolders(MetadataReader pdb, string projectFolderName)
    {
        var byType = new Dictionary<TypeDefinitionHandle, HashSet<string>>();
        void Add(TypeDefinitionHandle type, DocumentHandle document)
        {
            var folder = FolderOf(pdb.GetString(pdb.GetDocument(document).Name), projectFolderName);
            if (folder is null)
            {
                return;
            }

            var outer = Outermost(type);
            if (!byType.TryGetValue(outer, out var set))
            {
                byType[outer] = set = [];
            }

            set.Add(folder);
        }

        foreach (var type in _md.TypeDefinitions)
        {
            foreach (var method in _md.GetTypeDefinition(type).GetMethods())
            {
                var info = pdb.GetMethodDebugInformation(method.ToDebugInformationHandle());
                if (!info.Document.IsNil)
                {
                    Add(type, info.Document);
                }
                else if (!info.SequencePointsBlob.IsNil)
                {
                    foreach (var point in info.GetSequencePoints())
                    {
                        Add(type, point.Document);
                    }
                }
            }
        }

        foreach (var handle in pdb.CustomDebugInformation)
        {
            var info = pdb.GetCustomDebugInformation(handle);
            if (info.Parent.Kind != HandleKind.TypeDefinition || pdb.GetGuid(info.Kind) != TypeDefinitionDocuments)
            {
                continue;
            }

            var blob = pdb.GetBlobReader(info.Value);
            while (blob.RemainingBytes > 0)
            {
                Add((TypeDefinitionHandle)info.Parent, MetadataTokens.DocumentHandle(blob.ReadCompressedInteger()));
            }
        }

        var result = new Dictionary<TypeDefinitionHandle, string>();
        foreach (var (type, set) in byType)
        {
            if (set.Count > 1)
            {
                throw new InvalidOperationException($"{Name(type)} has source in more than one folder ({string.Join(", ", set.Order())}): keep a type's partial files in one folder so that it has one layer.");
            }

            result[type] = set.First();
        }

        return result;
    }

    /// <summary>"Processes/Host" for ".../Concurrency.Toolkit/Processes/Host/X.cs"; "" for a file at the project root; null outside the project or under obj/.</summary>
    internal static string? FolderOf(string documentPath, string projectFolderName)
    {
        var path = documentPath.Replace('\\', '/');
        var marker = "/" + projectFolderName + "/";
        var at = path.LastIndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var relative = path[(at + marker.Length)..];
        var slash = relative.LastIndexOf('/');
        var folder = slash < 0 ? "" : relative[..slash];
        return folder == "obj" || folder.StartsWith("obj/", StringComparison.Ordinal) || folder == "bin" || folder.StartsWith("bin/", StringComparison.Ordinal) ? null : folder;
    }

    private TypeDefinitionHandle Outermost(TypeDefinitionHandle handle)
    {
        while (true)
        {
            var declaring = _md.GetTypeDefinition(handle).GetDeclaringType();
            if (declaring.IsNil)
            {
                return handle;
            }

            handle = declaring;
        }
    }

    private string Name(TypeDefinitionHandle handle)
    {
        var type = _md.GetTypeDefinition(handle);
        var declaring = type.GetDeclaringType();
        if (!declaring.IsNil)
        {
            return Name(declaring) + "+" + _md.GetString(type.Name);
        }

        var ns = _md.GetString(type.Namespace);
        return ns.Length == 0 ? _md.GetString(type.Name) : ns + "." + _md.GetString(type.Name);
    }

    private void ReadType(TypeDefinitionHandle handle)
    {
        var from = _types[Outermost(handle)];
        var type = _md.GetTypeDefinition(handle);
        var nested = type.GetDeclaringType().IsNil ? "" : " (in " + Name(handle) + ")";
        Note(from, Resolve(type.BaseType), "base type" + nested);
        foreach (var implementation in type.GetInterfaceImplementations())
        {
            Note(from, Resolve(_md.GetInterfaceImplementation(implementation).Interface), "implemented interface" + nested);
        }

        Attributes(from, type.GetCustomAttributes(), "attribute" + nested);
        Constraints(from, type.GetGenericParameters(), "generic constraint" + nested);
        foreach (var fieldHandle in type.GetFields())
        {
            var field = _md.GetFieldDefinition(fieldHandle);
            var where = "field " + _md.GetString(field.Name) + nested;
            Note(from, field.DecodeSignature(_collector, null), where);
            Attributes(from, field.GetCustomAttributes(), where);
        }

        foreach (var propertyHandle in type.GetProperties())
        {
            var property = _md.GetPropertyDefinition(propertyHandle);
            var where = "property " + _md.GetString(property.Name) + nested;
            var signature = property.DecodeSignature(_collector, null);
            Note(from, signature.ReturnType, where);
            Note(from, signature.ParameterTypes.SelectMany(p => p), where);
            Attributes(from, property.GetCustomAttributes(), where);
        }

        foreach (var eventHandle in type.GetEvents())
        {
            var definition = _md.GetEventDefinition(eventHandle);
            Note(from, Resolve(definition.Type), "event " + _md.GetString(definition.Name) + nested);
        }

        foreach (var methodHandle in type.GetMethods())
        {
            ReadMethod(from, methodHandle, nested);
        }
    }

    private void ReadMethod(AssemblyType from, MethodDefinitionHandle handle, string nested)
    {
        var method = _md.GetMethodDefinition(handle);
        var name = _md.GetString(method.Name) + nested;
        var signature = method.DecodeSignature(_collector, null);
        Note(from, signature.ReturnType, "signature of " + name);
        Note(from, signature.ParameterTypes.SelectMany(p => p), "signature of " + name);
        Attributes(from, method.GetCustomAttributes(), "attribute of " + name);
        foreach (var parameter in method.GetParameters())
        {
            Attributes(from, _md.GetParameter(parameter).GetCustomAttributes(), "parameter attribute of " + name);
        }

        Constraints(from, method.GetGenericParameters(), "generic constraint of " + name);
        if (method.RelativeVirtualAddress == 0)
        {
            return;
        }

        var body = _pe.GetMethodBody(method.RelativeVirtualAddress);
        var where = "body of " + name;
        if (!body.LocalSignature.IsNil)
        {
            var locals = _md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(_collector, null);
            Note(from, locals.SelectMany(l => l), where);
        }

        foreach (var region in body.ExceptionRegions)
        {
            Note(from, Resolve(region.CatchType), where);
        }

        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            short code = il.ReadByte();
            if (code == 0xFE)
            {
                code = (short)(0xFE00 | il.ReadByte());
            }

            switch (OperandTypes[code])
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineSwitch:
                    var targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineSig:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    Note(from, Resolve(MetadataTokens.EntityHandle(il.ReadInt32())), where);
                    break;
                default:
                    il.Offset += 4;
                    break;
            }
        }
    }

    private void Attributes(AssemblyType from, CustomAttributeHandleCollection attributes, string where)
    {
        foreach (var attribute in attributes)
        {
            Note(from, Resolve(_md.GetCustomAttribute(attribute).Constructor), where);
        }
    }

    private void Constraints(AssemblyType from, GenericParameterHandleCollection parameters, string where)
    {
        foreach (var parameter in parameters)
        {
            foreach (var constraint in _md.GetGenericParameter(parameter).GetConstraints())
            {
                Note(from, Resolve(_md.GetGenericParameterConstraint(constraint).Type), where);
            }
        }
    }

    /// <summary>The assembly's own types that a token or handle names (a member names its declaring type and the types in its signature).</summary>
    private ImmutableArray<TypeDefinitionHandle> Resolve(EntityHandle handle)
    {
        if (handle.IsNil)
        {
            return [];
        }

        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
                return [(TypeDefinitionHandle)handle];
            case HandleKind.TypeSpecification:
                return _md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(_collector, null);
            case HandleKind.MethodDefinition:
                return [_md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType()];
            case HandleKind.FieldDefinition:
                return [_md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType()];
            case HandleKind.MethodSpecification:
                var specification = _md.GetMethodSpecification((MethodSpecificationHandle)handle);
                return [.. Resolve(specification.Method), .. specification.DecodeSignature(_collector, null).SelectMany(t => t)];
            case HandleKind.MemberReference:
                var member = _md.GetMemberReference((MemberReferenceHandle)handle);
                var parent = Resolve(member.Parent);
                if (member.GetKind() == MemberReferenceKind.Field)
                {
                    return [.. parent, .. member.DecodeFieldSignature(_collector, null)];
                }

                var method = member.DecodeMethodSignature(_collector, null);
                return [.. parent, .. method.ReturnType, .. method.ParameterTypes.SelectMany(p => p)];
            case HandleKind.StandaloneSignature:
                var standalone = _md.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                if (standalone.GetKind() == StandaloneSignatureKind.LocalVariables)
                {
                    return [.. standalone.DecodeLocalSignature(_collector, null).SelectMany(l => l)];
                }

                var call = standalone.DecodeMethodSignature(_collector, null);
                return [.. call.ReturnType, .. call.ParameterTypes.SelectMany(p => p)];
            default:
                // Type references (other assemblies), strings, module references: nothing of this assembly.
                return [];
        }
    }

    private void Note(AssemblyType from, IEnumerable<TypeDefinitionHandle> targets, string via)
    {
        foreach (var target in targets)
        {
            var to = _types[Outermost(target)];
            if (!ReferenceEquals(to, from) && _seen.Add((from, to)))
            {
                _references.Add(new TypeReference(from, to, via));
            }
        }
    }

    /// <summary>Collects the assembly's own type definitions that a signature names.</summary>
    private sealed class Collector : ISignatureTypeProvider<ImmutableArray<TypeDefinitionHandle>, object?>
    {
        public ImmutableArray<TypeDefinitionHandle> GetArrayType(ImmutableArray<TypeDefinitionHandle> elementType, ArrayShape shape) => elementType;

        public ImmutableArray<TypeDefinitionHandle> GetByReferenceType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;

        public ImmutableArray<TypeDefinitionHandle> GetFunctionPointerType(MethodSignature<ImmutableArray<TypeDefinitionHandle>> signature) =>
            [.. signature.ReturnType, .. signature.ParameterTypes.SelectMany(p => p)];

        public ImmutableArray<TypeDefinitionHandle> GetGenericInstantiation(ImmutableArray<TypeDefinitionHandle> genericType, ImmutableArray<ImmutableArray<TypeDefinitionHandle>> typeArguments) =>
            [.. genericType, .. typeArguments.SelectMany(a => a)];

        public ImmutableArray<TypeDefinitionHandle> GetGenericMethodParameter(object? genericContext, int index) => [];

        public ImmutableArray<TypeDefinitionHandle> GetGenericTypeParameter(object? genericContext, int index) => [];

        public ImmutableArray<TypeDefinitionHandle> GetModifiedType(ImmutableArray<TypeDefinitionHandle> modifier, ImmutableArray<TypeDefinitionHandle> unmodifiedType, bool isRequired) =>
            [.. modifier, .. unmodifiedType];

        public ImmutableArray<TypeDefinitionHandle> GetPinnedType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;

        public ImmutableArray<TypeDefinitionHandle> GetPointerType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;

        public ImmutableArray<TypeDefinitionHandle> GetPrimitiveType(PrimitiveTypeCode typeCode) => [];

        public ImmutableArray<TypeDefinitionHandle> GetSZArrayType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;

        public ImmutableArray<TypeDefinitionHandle> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [handle];

        public ImmutableArray<TypeDefinitionHandle> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => [];

        public ImmutableArray<TypeDefinitionHandle> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
    }
}
