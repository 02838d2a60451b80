using System.Text.Json;

namespace EdgeNorm.Cli;

/// <summary>`--json` output: one JSON object on stdout, written with Utf8JsonWriter (no reflection; AOT-clean).</summary>
internal static class JsonOut
{
    public sealed class Scope : IDisposable
    {
        private readonly TextWriter _out;
        private readonly MemoryStream _buffer = new();
        public Utf8JsonWriter Writer { get; }

        public Scope(TextWriter output)
        {
            _out = output;
            Writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            Writer.WriteStartObject();
        }

        public void Dispose()
        {
            Writer.WriteEndObject();
            Writer.Flush();
            _out.WriteLine(System.Text.Encoding.UTF8.GetString(_buffer.ToArray()));
            Writer.Dispose();
        }
    }

    public static ScopeWriter Begin(TextWriter output) => new(new Scope(output));

    /// <summary>A writer that closes the object and prints it when disposed.</summary>
    public readonly struct ScopeWriter(Scope scope) : IDisposable
    {
        public Utf8JsonWriter W => scope.Writer;
        public void WriteString(string name, string? value) => W.WriteString(name, value);
        public void WriteNumber(string name, double value) => W.WriteNumber(name, value);
        public void WriteNumber(string name, long value) => W.WriteNumber(name, value);
        public void WriteBoolean(string name, bool value) => W.WriteBoolean(name, value);
        public void Dispose() => scope.Dispose();
    }

    public static void Strings(ScopeWriter w, string name, IEnumerable<string> values)
    {
        w.W.WriteStartArray(name);
        foreach (var v in values) w.W.WriteStringValue(v);
        w.W.WriteEndArray();
    }
}
