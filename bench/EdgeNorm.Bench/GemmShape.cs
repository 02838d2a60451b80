namespace EdgeNorm.Bench;

/// <summary>One GEMM: M rows (tokens) × K (reduction) → N outputs; MACs = M·N·K.</summary>
public sealed record GemmShape(string Model, int M, int K, int N)
{
    public long Macs => (long)M * K * N;

    public override string ToString() => $"{M}x{K}x{N}";

    /// <summary>DeiT-Tiny (197 tokens: qkv, proj, fc1, fc2) and BERT-base at 128 tokens (qkv, out, ffn1, ffn2).</summary>
    public static readonly GemmShape[] All =
    [
        new("DeiT-Tiny", 197, 192, 576), new("DeiT-Tiny", 197, 192, 192), new("DeiT-Tiny", 197, 192, 768), new("DeiT-Tiny", 197, 768, 192),
        new("BERT-base", 128, 768, 2304), new("BERT-base", 128, 768, 768), new("BERT-base", 128, 768, 3072), new("BERT-base", 128, 3072, 768),
    ];

    public static GemmShape Parse(string s) => All.First(g => g.ToString() == s);

    /// <summary>Deterministic int8 data in [−127, 127].</summary>
    public static sbyte[] RandomInt8(int n, int seed)
    {
        var rng = new Random(seed);
        var d = new sbyte[n];
        for (int i = 0; i < d.Length; i++) d[i] = (sbyte)rng.Next(-127, 128);
        return d;
    }
}
