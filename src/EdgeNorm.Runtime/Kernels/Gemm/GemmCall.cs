using EdgeNorm.Runtime.Execution;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// The operands of one GEMM call as raw pointers, so worker threads can share them (the caller keeps them pinned
/// until every part is done). One instance per session, reused for every call: nothing is allocated per inference.
/// </summary>
internal sealed unsafe class GemmCall : IParallelWork
{
    public GemmKernel Kernel = null!;
    public GemmWeights Weights = null!;
    public sbyte* A;
    public int M;
    public byte* Prepared;
    public nint Stride;
    public void* Y;
    public bool Int16;

    public void Execute(int part, int parts) => Kernel.Run(this, part, parts);
}
