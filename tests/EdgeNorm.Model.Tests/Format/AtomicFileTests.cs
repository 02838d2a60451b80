using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using Xunit;

namespace EdgeNorm.Model.Tests.Format;

/// <summary>All-or-nothing writes (docs/reliability.md): a failed write leaves the previous file and no temporary file.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgenorm-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void FailedWrite_LeavesThePreviousFileIntact_AndNoTemporaryFile()
    {
        string path = Path.Combine(_dir, "m.edgn");
        byte[] previous = SampleModels.SmallBytes();
        File.WriteAllBytes(path, previous);
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]); // half a model is on disk (in the temporary file) when the writer dies
            s.Flush();
            throw new IOException("disk full");
        }));
        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void SuccessfulWrite_ReplacesTheFile()
    {
        string path = Path.Combine(_dir, "m.bin");
        File.WriteAllBytes(path, [1, 2, 3]);
        AtomicFile.WriteAllBytes(path, [4, 5]);
        Assert.Equal(new byte[] { 4, 5 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void BuilderThatFailsValidation_LeavesThePreviousModel()
    {
        string path = Path.Combine(_dir, "m.edgn");
        SampleModels.Small().WriteFile(path);
        byte[] before = File.ReadAllBytes(path);
        var broken = SampleModels.Minimal().AddNode("dangling", "Mul", ["nowhere", "w"], ["z"]).AddOutput("q", DataType.Int8, [1]);
        Assert.Throws<ModelFormatException>(() => broken.WriteFile(path));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_dir));
        using var m = EdgnModel.Open(path);
        Assert.True(m.VerifyChecksums().IsValid);
    }

    [Fact]
    public void MissingFolder_IsAnIOError_AndCreatesNothing()
    {
        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllBytes(Path.Combine(_dir, "no", "m.bin"), [1]));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }
}
