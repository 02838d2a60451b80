using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Ir;
using StbImageSharp;

namespace EdgeNorm.Calibration.Data;

/// <summary>
/// Loads a folder of PNG/JPEG images (StbImageSharp; sorted by file name, ordinal) into one float32 batch tensor
/// following an <see cref="ImagePreprocessing"/>. Errors name the folder or the file.
/// </summary>
public static class ImageFolder
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>The image files of a folder, in load order.</summary>
    public static string[] Files(string dir) =>
        Directory.EnumerateFiles(dir)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .ToArray();

    /// <summary>The batch [N, C, H, W] (nchw) or [N, H, W, C] (nhwc).</summary>
    public static Tensor Load(string dir, ImagePreprocessing p)
    {
        if (!Directory.Exists(dir)) throw new QuantizationException($"{dir}: no such folder");
        if (p.Channels is not (1 or 3)) throw new QuantizationException($"images are decoded with 1 or 3 channels, not {p.Channels}");
        if (p.Layout is not ("nchw" or "nhwc")) throw new QuantizationException($"--layout {p.Layout}: use nchw or nhwc");
        var mean = PerChannel(p.Mean, p.Channels, "--mean");
        var std = PerChannel(p.Std, p.Channels, "--std");
        if (std.Any(s => !(s > 0) || !float.IsFinite(s))) throw new QuantizationException("--std values must be positive");
        var files = Files(dir);
        if (files.Length == 0)
            throw new QuantizationException($"{dir}: the folder has no images (*.png, *.jpg, *.jpeg)");

        int c = p.Channels, w = 0, h = 0;
        float[]? data = null;
        string? first = null;
        for (int n = 0; n < files.Length; n++)
        {
            var img = Decode(files[n], c);
            var pixels = img.Data;
            int iw = img.Width, ih = img.Height;
            if (p.Resize is { } r)
            {
                pixels = Bilinear(pixels, iw, ih, c, r.Width, r.Height);
                (iw, ih) = r;
            }
            if (data is null)
            {
                (w, h, first) = (iw, ih, files[n]);
                data = new float[(long)files.Length * c * h * w > Array.MaxLength
                    ? throw new QuantizationException($"{dir}: {files.Length} images of {w}×{h} do not fit in one array; use fewer or --resize")
                    : files.Length * c * h * w];
            }
            else if (iw != w || ih != h)
                throw new QuantizationException($"{files[n]}: {iw}×{ih} pixels, but {Path.GetFileName(first)} is {w}×{h}; pass --resize WxH to bring every image to one size");
            int plane = h * w, sample = c * plane;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int k = 0; k < c; k++)
                    {
                        float v = (pixels[(y * w + x) * c + k] / 255f - mean[k]) / std[k];
                        int at = p.Layout == "nchw" ? k * plane + y * w + x : (y * w + x) * c + k;
                        data[n * sample + at] = v;
                    }
        }
        int[] shape = p.Layout == "nchw" ? [files.Length, c, h, w] : [files.Length, h, w, c];
        return Tensor.FromFloats(shape, data!);
    }

    private static ImageResult Decode(string file, int channels)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (IOException e)
        {
            throw new QuantizationException($"{file}: cannot read: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new QuantizationException($"{file}: cannot read: {e.Message}");
        }
        try
        {
            var img = ImageResult.FromMemory(bytes, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
            if (img?.Data is null || img.Width < 1 || img.Height < 1 || img.Data.Length < img.Width * img.Height * channels)
                throw new InvalidOperationException("no pixels decoded");
            return img;
        }
        catch (Exception e) when (e is not QuantizationException)
        {
            throw new QuantizationException($"{file}: not a readable PNG/JPEG image ({e.Message})");
        }
    }

    /// <summary>Bilinear resize with half-pixel centres (as OpenCV's INTER_LINEAR / PIL without antialiasing), rounded to bytes.</summary>
    private static byte[] Bilinear(byte[] src, int sw, int sh, int c, int dw, int dh)
    {
        if (sw == dw && sh == dh) return src;
        var dst = new byte[dw * dh * c];
        for (int y = 0; y < dh; y++)
        {
            double fy = Math.Clamp((y + 0.5) * sh / dh - 0.5, 0, sh - 1);
            int y0 = (int)fy, y1 = Math.Min(y0 + 1, sh - 1);
            double ty = fy - y0;
            for (int x = 0; x < dw; x++)
            {
                double fx = Math.Clamp((x + 0.5) * sw / dw - 0.5, 0, sw - 1);
                int x0 = (int)fx, x1 = Math.Min(x0 + 1, sw - 1);
                double tx = fx - x0;
                for (int k = 0; k < c; k++)
                {
                    double top = src[(y0 * sw + x0) * c + k] * (1 - tx) + src[(y0 * sw + x1) * c + k] * tx;
                    double bottom = src[(y1 * sw + x0) * c + k] * (1 - tx) + src[(y1 * sw + x1) * c + k] * tx;
                    dst[(y * dw + x) * c + k] = (byte)Math.Clamp(Math.Round(top * (1 - ty) + bottom * ty), 0, 255);
                }
            }
        }
        return dst;
    }

    private static float[] PerChannel(float[] v, int c, string option) =>
        v.Length == 1 ? Enumerable.Repeat(v[0], c).ToArray()
        : v.Length == c ? v
        : throw new QuantizationException($"{option}: {v.Length} values for {c} channel(s); give one, or one per channel");
}
