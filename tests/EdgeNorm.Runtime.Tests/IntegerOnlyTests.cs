using System.Reflection;
using System.Reflection.Emit;
using EdgeNorm.Runtime.Numerics;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

/// <summary>
/// The inference-side numerics execute no floating-point instruction: every method of the types in
/// EdgeNorm.Runtime.Numerics (not .Offline) and EdgeNorm.Runtime.Kernels.Reference is scanned for float opcodes,
/// float locals, float parameters/returns, and calls or field accesses whose signature mentions float.
/// The integer executor (EdgeNorm.Runtime.Execution, EdgeNorm.Runtime.Ops) is scanned the same way, except the one
/// listed boundary type, Execution.Boundary (input quantisation, output dequantisation).
/// </summary>
public class IntegerOnlyTests
{
    private static readonly string[] InferenceNamespaces = ["EdgeNorm.Runtime.Numerics", "EdgeNorm.Runtime.Kernels.Reference", "EdgeNorm.Runtime.Kernels.Vector", "EdgeNorm.Runtime.Kernels.Gemm"];

    private static readonly string[] ExecutorNamespaces = ["EdgeNorm.Runtime.Execution", "EdgeNorm.Runtime.Ops"];

    /// <summary>The boundary quantise/dequantise: the one place inference may use float.</summary>
    private static readonly Type BoundaryType = typeof(Requantizer).Assembly.GetType("EdgeNorm.Runtime.Execution.Boundary", throwOnError: true)!;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private static readonly HashSet<short> FloatOpCodes = new[]
    {
        OpCodes.Ldc_R4, OpCodes.Ldc_R8, OpCodes.Conv_R4, OpCodes.Conv_R8, OpCodes.Conv_R_Un, OpCodes.Ckfinite,
        OpCodes.Ldelem_R4, OpCodes.Ldelem_R8, OpCodes.Stelem_R4, OpCodes.Stelem_R8,
        OpCodes.Ldind_R4, OpCodes.Ldind_R8, OpCodes.Stind_R4, OpCodes.Stind_R8,
    }.Select(o => o.Value).ToHashSet();

    private static bool IsFloat(Type? t)
    {
        if (t is null) return false;
        if (t == typeof(float) || t == typeof(double) || t == typeof(Half) || t == typeof(decimal)) return true;
        if (t.HasElementType) return IsFloat(t.GetElementType());
        return t.IsGenericType && !t.IsGenericTypeDefinition && t.GetGenericArguments().Any(IsFloat);
    }

    private static bool MentionsFloat(MethodBase m) =>
        (m is MethodInfo mi && IsFloat(mi.ReturnType)) || m.GetParameters().Any(p => IsFloat(p.ParameterType)) || IsFloat(m.DeclaringType);

    [Fact]
    public void InferenceNumerics_ExecuteNoFloatingPointInstruction()
    {
        var types = typeof(Requantizer).Assembly.GetTypes()
            .Where(t => InferenceNamespaces.Contains(t.Namespace)).ToList();
        Assert.Contains(typeof(Requantizer), types);
        Assert.Contains(typeof(EdgeNorm.Runtime.Kernels.Reference.SoftmaxReference), types);
        var problems = types.SelectMany(t => FloatUses(t, out _)).ToList();
        int scanned = types.Sum(t => { FloatUses(t, out int n); return n; });
        Assert.True(scanned > 20, $"only {scanned} method bodies scanned");
        Assert.True(problems.Count == 0, "floating point on the inference path:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void IntegerExecutor_ExecutesNoFloatingPointInstruction()
    {
        var types = typeof(Requantizer).Assembly.GetTypes()
            .Where(t => ExecutorNamespaces.Contains(t.Namespace) && t != BoundaryType && t.DeclaringType != BoundaryType).ToList();
        Assert.Contains(types, t => t.Name == "AttentionOp");
        Assert.Contains(types, t => t.Name == "Plan");
        var problems = types.SelectMany(t => FloatUses(t, out _)).ToList();
        int scanned = types.Sum(t => { FloatUses(t, out int n); return n; });
        Assert.True(scanned > 30, $"only {scanned} method bodies scanned");
        Assert.True(problems.Count == 0, "floating point in the integer executor:\n" + string.Join("\n", problems));
        Assert.NotEmpty(FloatUses(BoundaryType, out _)); // the scan sees the boundary's float, so excluding it means something
    }

    [Fact]
    public void Scanner_FlagsTheOfflineBuilders()
    {
        // The scan must see float where it is: the offline builders are full of it.
        Assert.NotEmpty(FloatUses(typeof(Numerics.Offline.DyadicMultiplierBuilder), out _));
        Assert.Contains(FloatUses(typeof(Numerics.Offline.LookupTableBuilder), out _), p => p.Contains("opcode"));
    }

    /// <summary>Every use of floating point in the type's own fields, signatures and method bodies.</summary>
    private static List<string> FloatUses(Type type, out int bodies)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        var problems = type.GetFields(all).Where(f => IsFloat(f.FieldType)).Select(f => $"{type.Name}.{f.Name}: float field").ToList();
        bodies = 0;
        foreach (MethodBase method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            string name = $"{type.Name}.{method.Name}";
            if (MentionsFloat(method)) problems.Add($"{name}: float in signature");
            var body = method.GetMethodBody();
            if (body is null) continue;
            bodies++;
            problems.AddRange(body.LocalVariables.Where(l => IsFloat(l.LocalType)).Select(l => $"{name}: float local {l.LocalType}"));
            problems.AddRange(ScanIl(method, body.GetILAsByteArray()!).Select(p => $"{name}: {p}"));
        }
        return problems;
    }

    private static IEnumerable<string> ScanIl(MethodBase method, byte[] il)
    {
        Type[] typeArgs = method.DeclaringType!.IsGenericType ? method.DeclaringType.GetGenericArguments() : [];
        Type[] methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : [];
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            var op = OpCodesByValue[value];
            i += op.Size;
            if (FloatOpCodes.Contains(op.Value)) yield return $"opcode {op.Name} at IL_{i - op.Size:X4}";
            int operand = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            if (op.OperandType is OperandType.InlineMethod)
            {
                var target = method.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                if (target is not null && MentionsFloat(target)) yield return $"calls {target.DeclaringType?.Name}.{target.Name} ({target})";
            }
            else if (op.OperandType is OperandType.InlineField)
            {
                var field = method.Module.ResolveField(BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                if (field is not null && IsFloat(field.FieldType)) yield return $"uses float field {field.Name}";
            }
            i += operand;
        }
    }
}
