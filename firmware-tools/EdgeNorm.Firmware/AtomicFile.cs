namespace EdgeNorm.Firmware;

/// <summary>
/// The firmware tools' all-or-nothing writes: <see cref="EdgeNorm.Model.Format.AtomicFile"/> (temporary file in the
/// same folder, flushed, renamed), after checking the folder exists so the user gets a one-line reason.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new FirmwareException($"cannot write '{path}': folder '{dir}' does not exist");
        EdgeNorm.Model.Format.AtomicFile.Write(path, write);
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
}
