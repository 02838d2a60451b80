using EdgeNorm.Runtime.Kernels.Reference;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// The scalar path as a 1×16 tile: <see cref="GemmReference.PackedRow"/> itself on one panel (a single panel is
/// laid out like a 16-channel weight), so "scalar" is the reference, run through the same blocking and threads.
/// </summary>
internal readonly unsafe struct ScalarTile : IGemmTile
{
    public static int Rows => 1;
    public static bool UnsignedActivations => false;
    public static int BytesPerGroup => 4;

    public static void PrepareRow(sbyte* x, int k, byte* dst, int groups) => ActivationRows.Copy(x, k, dst, groups);

    public static void Compute(byte* a, nint stride, byte* w, int groups, int* init, int* c) =>
        GemmReference.PackedRow(new ReadOnlySpan<sbyte>(a, groups * 4), new ReadOnlySpan<byte>(w, groups * 64),
            new ReadOnlySpan<int>(init, 16), new Span<int>(c, 16));
}
