using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using EdgeNorm.Model;
using EdgeNorm.Onnx.Proto;
using Google.Protobuf;
using Xunit;

namespace EdgeNorm.Onnx.Tests;

/// <summary>The ONNX rows of docs/security.md not covered by ParsingTests: size limits, huge shapes, no code from a model.</summary>
public class HostileInputLimitTests
{
    private const int F32 = 1;

    private static ParsingModelBuilder Relu(params object[] dims)
    {
        var b = new ParsingModelBuilder().Input("x", F32, dims).Output("y", F32, dims);
        b.Node("Relu", ["x"], ["y"]);
        return b;
    }

    [Fact]
    public void FileLargerThanMaxModelBytes_IsRefusedBeforeParsing()
    {
        using var dir = new TempDir();
        string path = Relu("N", 4).Save(dir.Path);
        var e = Assert.Throws<OnnxImportException>(() => OnnxModelLoader.Load(path, new OnnxLoadOptions { MaxModelBytes = 16 }));
        Assert.Contains("exceeds the limit of 16 bytes", e.Message);
    }

    [Fact]
    public void ExternalDataBeyondMaxExternalBytes_IsRefused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(Path.Combine(dir.Path, "w.bin"), new byte[4096]);
        var w = new TensorProto { Name = "W", DataType = F32, DataLocation = TensorProto.Types.DataLocation.External };
        w.Dims.Add(1024);
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });
        var b = new ParsingModelBuilder().Input("x", F32, "N", 1024).Output("y", F32, "N", 1024).Init(w);
        b.Node("Add", ["x", "W"], ["y"]);
        var e = Assert.ThrowsAny<EdgeNormException>(() => OnnxModelLoader.Load(b.Save(dir.Path), new OnnxLoadOptions { MaxExternalBytes = 1000 }));
        Assert.Contains("'W'", e.Message);
    }

    [Theory]
    [InlineData(1L << 40)]
    [InlineData(long.MaxValue)]
    public void InitializerWithHugeDims_AndTinyData_IsRefusedWithoutAllocating(long dim)
    {
        var w = new TensorProto { Name = "W", DataType = F32, RawData = ByteString.CopyFrom(new byte[16]) };
        w.Dims.Add(dim);
        w.Dims.Add(dim);
        var b = new ParsingModelBuilder().Input("x", F32, "N", 4).Output("y", F32, "N", 4).Init(w);
        b.Node("Add", ["x", "W"], ["y"]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.ThrowsAny<EdgeNormException>(() => OnnxModelLoader.Load(b.Bytes(), displayName: "huge.onnx"));
        Assert.Contains("'W'", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "refusing a 2^80-element tensor allocated more than 64 MiB");
    }

    [Theory]
    [InlineData(1L << 40)]
    [InlineData(long.MaxValue)]
    public void GraphInputWithHugeDims_LoadsOrFailsCleanly_WithoutAllocating(long dim)
    {
        // Shapes of inputs are only declarations: nothing may be sized from them at import.
        var b = Relu(dim, dim);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try { OnnxImporter.Process(OnnxModelLoader.Load(b.Bytes(), displayName: "huge.onnx")); }
        catch (EdgeNormException) { }
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20);
    }

    [Fact]
    public void ConstantOfShapeWithHugeShape_IsNotFoldedIntoMemory()
    {
        // A 2^40-element constant asked for by a node must not be materialised by constant folding.
        var b = new ParsingModelBuilder().Input("x", F32, "N", 4).Output("y", F32, "N", 4);
        string shape = b.Ints(1L << 20, 1L << 20);
        b.Node("ConstantOfShape", [shape], ["big"]);
        b.Node("ReduceSum", ["big"], ["s"], null, "", ("keepdims", 0L));
        b.Node("Add", ["x", "s"], ["y"]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try { OnnxImporter.Process(OnnxModelLoader.Load(b.Bytes(), displayName: "fold.onnx")); }
        catch (EdgeNormException) { }
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20);
    }

    /// <summary>
    /// No code execution from a model: the loaders and the runtime reference no API that loads or emits code, starts
    /// processes or binds native functions by name (a metadata scan of the shipped assemblies).
    /// </summary>
    [Fact]
    public void LoadersAndRuntime_ReferenceNoCodeLoadingOrProcessApis()
    {
        string[] forbiddenTypes =
        [
            "System.Diagnostics.Process", "System.Diagnostics.ProcessStartInfo", "System.Reflection.Emit.DynamicMethod",
            "System.Reflection.Emit.ILGenerator", "System.Reflection.Emit.AssemblyBuilder", "System.Runtime.Loader.AssemblyLoadContext",
            "System.Runtime.InteropServices.NativeLibrary", "System.Activator", "System.Linq.Expressions.Expression",
        ];
        string[] forbiddenMembers = ["System.Reflection.Assembly.Load", "System.Reflection.Assembly.LoadFrom", "System.Reflection.Assembly.LoadFile",
            "System.Runtime.InteropServices.Marshal.GetDelegateForFunctionPointer", "System.Type.GetType"];
        var found = new List<string>();
        foreach (var asm in new[] { "EdgeNorm.Model", "EdgeNorm.Runtime", "EdgeNorm.Onnx", "EdgeNorm.Calibration" })
        {
            string file = Path.Combine(AppContext.BaseDirectory, asm + ".dll");
            using var pe = new PEReader(File.OpenRead(file));
            var md = pe.GetMetadataReader();
            string TypeName(EntityHandle h) => h.Kind switch
            {
                HandleKind.TypeReference => $"{md.GetString(md.GetTypeReference((TypeReferenceHandle)h).Namespace)}.{md.GetString(md.GetTypeReference((TypeReferenceHandle)h).Name)}",
                _ => "",
            };
            foreach (var h in md.TypeReferences)
                if (forbiddenTypes.Contains(TypeName(h))) found.Add($"{asm}: {TypeName(h)}");
            foreach (var h in md.MemberReferences)
            {
                var m = md.GetMemberReference(h);
                string full = $"{TypeName(m.Parent)}.{md.GetString(m.Name)}";
                if (forbiddenMembers.Contains(full)) found.Add($"{asm}: {full}");
            }
        }
        Assert.True(found.Count == 0, "code-loading APIs referenced: " + string.Join(", ", found));
    }
}
