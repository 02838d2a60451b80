using EdgeNorm.Model;
using SharpFuzz;

namespace EdgeNorm.Fuzz;

/// <summary>
/// Fuzzing entry: <c>EdgeNorm.Fuzz TARGET</c> runs under afl-fuzz (input on stdin, persistent mode);
/// <c>EdgeNorm.Fuzz TARGET --replay FILE…</c> runs each file once without AFL (triage, corpus checks).
/// Only <see cref="EdgeNormException"/> (and subclasses) counts as a correct answer to a hostile input; any other
/// exception escapes and AFL records a crash.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length < 1 || !Targets.TryGet(args[0], out var target))
        {
            Console.Error.WriteLine($"usage: EdgeNorm.Fuzz {string.Join("|", Targets.Names)} [--replay FILE...]");
            return 2;
        }
        if (args.Length > 1 && args[1] == "--replay") return Replay(target, args.Skip(2));
        Fuzzer.Run(stream => RunOne(target, ReadAll(stream)));
        return 0;
    }

    private static int Replay(Action<byte[]> target, IEnumerable<string> files)
    {
        int n = 0;
        foreach (string f in files)
        {
            RunOne(target, File.ReadAllBytes(f)); // a non-EdgeNorm exception ends the replay with a stack trace
            n++;
        }
        Console.WriteLine($"replayed {n} inputs, no crash");
        return 0;
    }

    private static void RunOne(Action<byte[]> target, byte[] input)
    {
        try { target(input); }
        catch (EdgeNormException) { } // the documented answer to a bad file
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }
}
