namespace EdgeNorm.Calibration.Float.Kernels;

/// <summary>A row of a broadcast loop: <paramref name="offsets"/>[j] is where input j's row starts and
/// <paramref name="strides"/>[j] is 1 (walk the row) or 0 (repeat one element).</summary>
public interface IBroadcastRow
{
    void Row(ReadOnlySpan<int> offsets, ReadOnlySpan<int> strides, int outOffset, int length);
}

/// <summary>
/// Numpy-style broadcasting over any number of inputs. Dimensions are collapsed where every input is either
/// contiguous or broadcast across them, so the innermost rows are as long as possible and the per-row work
/// can use vector primitives.
/// </summary>
public static class BroadcastLoop
{
    public static void Run<T>(int[] outShape, int[][] inShapes, ref T row) where T : struct, IBroadcastRow
    {
        int n = inShapes.Length;
        int rank = outShape.Length;
        long total = 1;
        foreach (int d in outShape) total *= d;
        if (total == 0) return;

        // Aligned strides of every input over the output's dims (0 where broadcast).
        var strides = new int[n][];
        for (int j = 0; j < n; j++)
        {
            var s = inShapes[j];
            var st = new int[rank];
            int acc = 1;
            for (int i = rank - 1; i >= 0; i--)
            {
                int si = i - (rank - s.Length);
                int d = si >= 0 ? s[si] : 1;
                st[i] = d == 1 ? 0 : acc;
                acc *= d;
            }
            strides[j] = st;
        }

        // Collapse from the innermost dim outward, skipping size-1 dims.
        var dims = new List<int>(rank);
        var cst = new List<int[]>(rank);
        for (int i = rank - 1; i >= 0; i--)
        {
            int d = outShape[i];
            if (d == 1) continue;
            if (dims.Count > 0)
            {
                int m = dims.Count - 1;
                bool merge = true;
                for (int j = 0; j < n && merge; j++)
                    merge = strides[j][i] == cst[m][j] * dims[m];
                if (merge) { dims[m] *= d; continue; }
            }
            dims.Add(d);
            var col = new int[n];
            for (int j = 0; j < n; j++) col[j] = strides[j][i];
            cst.Add(col);
        }
        if (dims.Count == 0)
        {
            Span<int> zeros = stackalloc int[n];
            zeros.Clear();
            row.Row(zeros, zeros, 0, 1);
            return;
        }
        dims.Reverse();
        cst.Reverse();
        int k = dims.Count;
        int inner = dims[k - 1];
        var innerStrides = cst[k - 1];
        var offsets = new int[n];
        var idx = new int[k];
        int outOffset = 0;
        while (true)
        {
            row.Row(offsets, innerStrides, outOffset, inner);
            outOffset += inner;
            int a = k - 2;
            while (a >= 0)
            {
                idx[a]++;
                for (int j = 0; j < n; j++) offsets[j] += cst[a][j];
                if (idx[a] < dims[a]) break;
                for (int j = 0; j < n; j++) offsets[j] -= cst[a][j] * dims[a];
                idx[a] = 0;
                a--;
            }
            if (a < 0) break;
        }
    }
}
