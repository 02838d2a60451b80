namespace EdgeNorm.Calibration.Autodiff;

/// <summary>Numpy broadcasting as index tables, computed once per tape (shapes are fixed).</summary>
public static class Broadcast
{
    /// <summary>
    /// For every element of <paramref name="outShape"/> (row-major), the flat index of the element of a tensor of
    /// shape <paramref name="shape"/> it reads under numpy broadcasting (shapes aligned at the right).
    /// </summary>
    public static int[] Offsets(int[] shape, int[] outShape)
    {
        int rank = outShape.Length;
        var strides = new int[rank];
        int s = 1;
        for (int a = rank - 1, d = shape.Length - 1; a >= 0; a--, d--)
        {
            int dim = d >= 0 ? shape[d] : 1;
            if (dim != 1 && dim != outShape[a])
                throw new GradientException($"shape [{string.Join(",", shape)}] does not broadcast to [{string.Join(",", outShape)}]");
            strides[a] = dim == 1 ? 0 : s;
            s *= dim;
        }
        int total = 1;
        foreach (int d in outShape) total *= d;
        var result = new int[total];
        var index = new int[rank];
        int offset = 0;
        for (int i = 0; i < total; i++)
        {
            result[i] = offset;
            for (int a = rank - 1; a >= 0; a--)
            {
                index[a]++;
                offset += strides[a];
                if (index[a] < outShape[a]) break;
                offset -= strides[a] * index[a];
                index[a] = 0;
            }
        }
        return result;
    }
}
