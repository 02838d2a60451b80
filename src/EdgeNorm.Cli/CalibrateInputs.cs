using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeNorm.Calibration.Data;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Cli;

/// <summary>
/// calibrate's image-folder options (`--resize WxH`, `--mean`, `--std`, `--layout`): how `--data DIR` becomes an input
/// tensor. Channels (grey or RGB) and the default layout follow the model input's shape.
/// </summary>
internal sealed class ImageOptions
{
    public Option<string> Resize { get; } = new("--resize") { Description = "image folders: resize every image to WxH (bilinear); without it all images must have one size" };
    public Option<string> Mean { get; } = new("--mean") { Description = "image folders: per-channel mean on the [0,1] pixel scale, e.g. 0.485,0.456,0.406 (default 0)" };
    public Option<string> Std { get; } = new("--std") { Description = "image folders: per-channel std, e.g. 0.229,0.224,0.225 (default 1)" };
    public Option<string> Layout { get; } = new("--layout") { Description = "image folders: nchw|nhwc (default: from the model input's shape)" };

    public IEnumerable<Option> All => [Resize, Mean, Std, Layout];

    /// <summary>The preprocessing for one model input, from the options and the input's shape.</summary>
    public ImagePreprocessing For(ParseResult r, ValueInfo input)
    {
        var s = input.Shape;
        if (s.Length != 4)
            throw new EdgeNormException($"--data DIR: input '{input.Name}' has rank {s.Length}; an image folder feeds a 4-D [N,C,H,W] or [N,H,W,C] input");
        string layout = r.GetValue(Layout) ?? (s[1].IsFixed && s[1].Size is 1 or 3 ? "nchw" : "nhwc");
        if (layout is not ("nchw" or "nhwc")) throw new EdgeNormException($"--layout {layout}: use nchw or nhwc");
        var c = layout == "nchw" ? s[1] : s[3];
        if (!c.IsFixed || c.Size is not (1 or 3))
            throw new EdgeNormException($"--data DIR: input '{input.Name}' [{string.Join(",", s)}] has {c} channels in {layout}; images give 1 (grey) or 3 (RGB)");
        return new ImagePreprocessing
        {
            Channels = (int)c.Size,
            Layout = layout,
            Resize = r.GetValue(Resize) is { } size ? ParseSize(size) : null,
            Mean = r.GetValue(Mean) is { } m ? Floats("--mean", m) : [0f],
            Std = r.GetValue(Std) is { } sd ? Floats("--std", sd) : [1f],
        };
    }

    private static (int, int) ParseSize(string text)
    {
        var parts = text.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int w) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int h)
            && w is > 0 and <= 16384 && h is > 0 and <= 16384)
            return (w, h);
        throw new EdgeNormException($"--resize {text}: expected WxH, e.g. 224x224");
    }

    private static float[] Floats(string option, string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var v = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !float.IsFinite(v[i]))
                throw new EdgeNormException($"{option} {text}: expected comma-separated numbers");
        return v;
    }
}

/// <summary>Progress of a long phase on stderr: "calibrate: PHASE k/N batches, ETA Ns", at most about once a second plus the last step.</summary>
internal sealed class ProgressPrinter(TextWriter e)
{
    private readonly Stopwatch _clock = new();
    private string? _phase;
    private double _lastPrint = double.NegativeInfinity;

    public void Report(string phase, int step, int total)
    {
        if (phase != _phase)
        {
            _phase = phase;
            _clock.Restart();
            _lastPrint = double.NegativeInfinity;
        }
        double t = _clock.Elapsed.TotalSeconds;
        if (step != total && t - _lastPrint < 1) return;
        _lastPrint = t;
        string eta = step == 0 ? "" : ", " + Time(t, step, total);
        e.WriteLine(string.Create(CultureInfo.InvariantCulture, $"calibrate: {phase} {step}/{total} batches{eta}"));
    }

    /// <summary>
    /// The time part of every calibrate progress line: "12.3 s" once a phase of <paramref name="total"/> steps is done,
    /// else "ETA 4 s", extrapolated from <paramref name="elapsedSeconds"/> for <paramref name="step"/> steps.
    /// </summary>
    public static string Time(double elapsedSeconds, int step, int total) => step == total
        ? string.Create(CultureInfo.InvariantCulture, $"{elapsedSeconds:F1} s")
        : string.Create(CultureInfo.InvariantCulture, $"ETA {(step == 0 ? 0 : elapsedSeconds / step * (total - step)):F0} s");
}
