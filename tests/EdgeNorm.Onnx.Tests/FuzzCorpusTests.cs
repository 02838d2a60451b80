using EdgeNorm.Model;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Onnx.Tests;

/// <summary>
/// The committed ONNX fuzz corpus (tests/Fuzz/corpus/onnx: seeds and minimised crashers, docs/reliability.md) through
/// the fuzz target's path — load from bytes, then BN statistics and fusion: each file imports or fails with our
/// exception type, never anything else.
/// </summary>
public class FuzzCorpusTests
{
    public static TheoryData<string> Files() =>
        new(Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "tests", "Fuzz", "corpus", "onnx")).Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Files))]
    public void CorpusFile_ImportsOrFailsWithOurException(string file)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot, "tests", "Fuzz", "corpus", "onnx", file));
        try
        {
            OnnxImporter.Process(OnnxModelLoader.Load(bytes, displayName: file));
        }
        catch (EdgeNormException) when (!file.StartsWith("tiny_vit", StringComparison.Ordinal)) { }
    }

    [Fact]
    public void ReshapeWithOneInput_NoLongerCrashesFusion()
    {
        // Minimised AFL crasher: a Reshape node without its shape input passed loading, then fusion's rank inference
        // indexed Inputs[1] (ArgumentOutOfRangeException). Now the rank is "unknown", the node stays unfused, and any
        // other inconsistency fusion trips on is an OnnxImportException naming the file.
        byte[] bytes = File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot, "tests", "Fuzz", "corpus", "onnx", "crash-reshape-one-input.onnx"));
        var graph = OnnxModelLoader.Load(bytes, displayName: "crash.onnx");
        Assert.Contains(graph.Nodes, n => n.OpType == "Reshape" && n.Inputs.Count == 1);
        var result = OnnxImporter.Process(graph);
        Assert.Contains(result.Graph.Nodes, n => n.OpType == "Reshape");
    }
}
