using EdgeNorm.Calibration.Data;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;

namespace EdgeNorm.Cli;

/// <summary>
/// `--data X.npy` / `--data NAME=X.npy …` (and `--input`): one unnamed array for a single-input model,
/// one named array per input otherwise. Shared by eval, run and calibrate. Where an image preprocessing is given
/// (calibrate), a spec may name a folder of PNG/JPEG images instead of an array (`--data DIR`, `NAME=DIR`).
/// Every array's per-sample shape is checked against the input's fixed dimensions.
/// </summary>
internal static class DataArguments
{
    public static Dictionary<string, Tensor> Load(IReadOnlyList<string> specs, IReadOnlyList<ValueInfo> inputs, string option,
        Func<ValueInfo, ImagePreprocessing>? images = null)
    {
        if (specs.Count == 0)
            throw new EdgeNormException($"{option} is required: pass X.npy, or NAME=X.npy for each of the model's inputs ({Names(inputs)})");
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            int eq = spec.IndexOf('=');
            string name, path;
            if (eq > 0 && !File.Exists(spec) && !Directory.Exists(spec))
            {
                name = spec[..eq];
                path = spec[(eq + 1)..];
                if (!inputs.Any(i => i.Name == name))
                    throw new EdgeNormException($"{option} {spec}: the model has no input '{name}' (inputs: {Names(inputs)})");
            }
            else
            {
                if (inputs.Count != 1)
                    throw new EdgeNormException($"{option} {spec}: the model has {inputs.Count} inputs ({Names(inputs)}); name each one as NAME=X.npy");
                name = inputs[0].Name;
                path = spec;
            }
            var info = inputs.First(i => i.Name == name);
            var tensor = Directory.Exists(path)
                ? images is null ? throw new EdgeNormException($"{option} {path}: a folder of images is accepted by calibrate only; pass an .npy array")
                  : ImageFolder.Load(path, images(info))
                : ReadAs(path, info);
            CheckShape(option, path, tensor, info);
            if (!result.TryAdd(name, tensor))
                throw new EdgeNormException($"{option}: input '{name}' given twice");
        }
        var missing = inputs.Where(i => !result.ContainsKey(i.Name)).Select(i => i.Name).ToList();
        if (missing.Count > 0)
            throw new EdgeNormException($"{option}: no data for input{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}; pass NAME=X.npy for each");
        int n = -1;
        foreach (var (name, t) in result)
        {
            if (t.Rank == 0) throw new EdgeNormException($"{option}: '{name}' is a scalar; expected a batch of samples on axis 0");
            if (n >= 0 && t.Shape[0] != n)
                throw new EdgeNormException($"{option}: inputs disagree on the number of samples ({n} vs {t.Shape[0]} for '{name}')");
            n = t.Shape[0];
        }
        return result;
    }

    /// <summary>The array must be [N, …one sample of the input…]: same rank, same size on every fixed dimension after the batch.</summary>
    private static void CheckShape(string option, string path, Tensor t, ValueInfo input)
    {
        var want = input.Shape;
        bool ok = t.Rank == want.Length;
        for (int d = 1; ok && d < want.Length; d++)
            ok = !want[d].IsFixed || want[d].Size == t.Shape[d];
        if (!ok)
            throw new EdgeNormException($"{option} {path}: has shape [{string.Join(",", t.Shape)}], expected [N,{string.Join(",", want.Skip(1))}] " +
                $"for input '{input.Name}' (N samples on axis 0)");
    }

    /// <summary>Reads an array and converts it to the input's element type where that is lossless (int32 → int64).</summary>
    private static Tensor ReadAs(string path, ValueInfo input)
    {
        if (!File.Exists(path)) throw new EdgeNormException($"{path}: no such file");
        var t = Npy.ReadTensor(path);
        if (t.DataType == input.DataType) return t;
        if (t.DataType.IsInteger() && input.DataType.IsInteger())
            return Tensor.FromLongs(input.DataType, t.Shape, t.L);
        throw new EdgeNormException($"{path}: {t.DataType.Name()} data for input '{input.Name}', which takes {input.DataType.Name()}");
    }

    public static long[] LoadLabels(string path, int samples)
    {
        if (!File.Exists(path)) throw new EdgeNormException($"{path}: no such file");
        var t = Npy.ReadTensor(path);
        if (!t.DataType.IsInteger() || t.Rank != 1)
            throw new EdgeNormException($"{path}: labels must be a 1-D integer array, got {t}");
        if (t.Shape[0] != samples)
            throw new EdgeNormException($"{path}: {t.Shape[0]} labels for {samples} samples");
        return t.L;
    }

    /// <summary>Rows [start, start+count) of a tensor along axis 0.</summary>
    public static Tensor Rows(Tensor t, int start, int count)
    {
        int row = (int)(t.Length / Math.Max(1, t.Shape[0]));
        int[] shape = [count, .. t.Shape[1..]];
        return t.IsFloat
            ? Tensor.FromFloats(shape, t.F.AsSpan(start * row, count * row).ToArray())
            : Tensor.FromLongs(t.DataType, shape, t.L.AsSpan(start * row, count * row).ToArray());
    }

    private static string Names(IReadOnlyList<ValueInfo> inputs) => string.Join(", ", inputs.Select(i => i.Name));
}
