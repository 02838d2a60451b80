using System.Globalization;

namespace EdgeNorm.Calibration.Data;

/// <summary>
/// How a folder of images becomes a model input: decode as 1 (grey) or 3 (RGB) channels, optionally resize
/// (bilinear) to Width×Height, scale to [0, 1] (pixel/255), then (x − mean_c)/std_c, laid out NCHW or NHWC.
/// Stored in the .edgn metadata (<see cref="ToMetadata"/>) so the board can repeat it.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>1 (greyscale) or 3 (RGB).</summary>
    public int Channels { get; init; } = 3;
    /// <summary>Target size, or null to keep the images' own (all must then agree).</summary>
    public (int Width, int Height)? Resize { get; init; }
    /// <summary>Per-channel mean (one value = every channel), in the [0, 1] pixel scale.</summary>
    public float[] Mean { get; init; } = [0f];
    /// <summary>Per-channel standard deviation (one value = every channel).</summary>
    public float[] Std { get; init; } = [1f];
    /// <summary>"nchw" or "nhwc".</summary>
    public string Layout { get; init; } = "nchw";

    /// <summary>The metadata keys (preprocess.*).</summary>
    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>
    {
        ["preprocess.source"] = "image folder",
        ["preprocess.channels"] = Channels == 1 ? "grey" : "rgb",
        ["preprocess.resize"] = Resize is { } r ? $"{r.Width}x{r.Height} bilinear" : "none",
        ["preprocess.scale"] = "1/255",
        ["preprocess.mean"] = string.Join(",", Mean.Select(F)),
        ["preprocess.std"] = string.Join(",", Std.Select(F)),
        ["preprocess.layout"] = Layout,
    };

    private static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
}
