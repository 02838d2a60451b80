namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// An int8 GEMM micro-kernel: the one ISA-specific inner loop. It computes a <see cref="Rows"/> × 16 tile of int32
/// accumulators — one 16-channel weight panel against <see cref="Rows"/> prepared activation rows — starting from the
/// panel's init values (bias). Blocking, tails, threads and the requant epilogue live in <see cref="GemmDriver{TTile, TEpilogue}"/>.
/// </summary>
internal unsafe interface IGemmTile
{
    /// <summary>Rows per tile (MR).</summary>
    static abstract int Rows { get; }

    /// <summary>True when the kernel reads activations as u8 = x + 128 (vpdpbusd): the driver starts from bias − 128·Σ W.</summary>
    static abstract bool UnsignedActivations { get; }

    /// <summary>Bytes of one prepared activation row per group of 4 k.</summary>
    static abstract int BytesPerGroup { get; }

    /// <summary>Converts one int8 row of <paramref name="k"/> values into the kernel's form, padded to <paramref name="groups"/>·4 with zeros (x = 0).</summary>
    static abstract void PrepareRow(sbyte* x, int k, byte* dst, int groups);

    /// <summary>
    /// <c>c[r·16 + j] = init[j] + Σ_k a_r[k]·W[j, k]</c> for r &lt; Rows, j &lt; 16, where row r is at <c>a + r·stride</c>
    /// and the panel at <paramref name="w"/> holds <paramref name="groups"/> blocks of 64 bytes.
    /// </summary>
    static abstract void Compute(byte* a, nint stride, byte* w, int groups, int* init, int* c);
}

/// <summary>The requantising store of one tile row: 16 int32 accumulators → int8 or int16 outputs of channels col0 …</summary>
internal unsafe interface IRequantEpilogue
{
    static abstract void Store(int* acc, RequantChannels q, int col0, int count, sbyte* dst);
    static abstract void Store(int* acc, RequantChannels q, int col0, int count, short* dst);
}
