using System.Diagnostics;
using System.Numerics;
using EdgeNorm.Calibration.Autodiff;
using EdgeNorm.Calibration.Autodiff.Optimizers;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.MetaAug;

/// <summary>
/// The simulated quantised model MetaAug trains, over a float graph, in element type <typeparamref name="T"/> (float32
/// to calibrate, float64 for the hypergradient check):
/// <list type="bullet">
/// <item>a quantised tape: every Linear/PatchEmbed weight is a tape parameter (AdaRound <see cref="RoundedWeights{T}"/>),
/// every matmul input edge a fake int8 quantiser (<see cref="ActivationQuantizer{T}"/>) with a learned step, shared by
/// the edges that read one tensor at one scale;</item>
/// <item>a float tape of the same graph (the teacher), and the transformation network <see cref="TransformNet{T}"/>.</item>
/// </list>
/// Units are reconstructed in order (<see cref="ReconstructionUnits"/>): units before the current one are hard
/// (int8 weights, quantised inputs), the current one is soft (AdaRound h(V), QDrop), the ones after are float.
/// </summary>
public sealed class MetaAugEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tape<T> _q, _fp;
    private readonly string _input;
    private readonly int[] _shape;
    private readonly int _sample, _classes;
    private readonly string _logits;
    private readonly MetaAugOptions _options;
    private readonly Random _rng;

    public List<RoundedWeights<T>> Layers { get; } = [];
    public List<ActivationStep> Steps { get; } = [];
    public List<ReconstructionUnit> Units { get; }
    public TransformNet<T> Net { get; }
    /// <summary>The unit being reconstructed.</summary>
    public int Current { get; private set; }

    private readonly Dictionary<RoundedWeights<T>, int> _unitOfLayer = [];
    private readonly Dictionary<ActivationStep, int> _unitOfStep = [];
    private readonly Dictionary<ActivationStep, List<string>> _edgeTensors = [];   // the tensors quantised with a step
    private readonly List<(string Node, int Unit, Log2ProbabilityQuantizer<T> Codes)> _attention = [];

    /// <param name="graph">Fused float graph with one float image input [B, C, H, W].</param>
    /// <param name="batch">Samples per tape run.</param>
    /// <param name="calibration">Flat calibration samples (for the initial activation steps, when <paramref name="initial"/> is null: minmax).</param>
    /// <param name="initial">The data calibrator's ranges to start the activation steps from (null: minmax on <paramref name="calibration"/>).</param>
    public MetaAugEngine(Graph graph, int batch, T[] calibration, MetaAugOptions options, Calibrators.IRangeSource? initial = null)
    {
        _options = options;
        _rng = new Random(options.Seed);
        var inputs = new Float.FloatExecutor(graph).Inputs;
        if (inputs.Count != 1 || inputs[0].DataType != DataType.Float32 || inputs[0].Shape.Length != 4 || inputs[0].Shape.Skip(1).Any(d => !d.IsFixed))
            throw new MetaAugException($"MetaAug transforms images: the model needs one float input [N, C, H, W] with fixed C, H, W; its inputs are {string.Join(", ", inputs.Select(i => i.ToString()))}");
        _input = inputs[0].Name;
        _shape = [batch, .. inputs[0].Shape.Skip(1).Select(d => (int)d.Size)];
        _sample = _shape[1] * _shape[2] * _shape[3];
        _logits = graph.Outputs[0].Name;
        Units = ReconstructionUnits.Find(graph);

        var producer = graph.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n, StringComparer.Ordinal);
        var edges = new Dictionary<string, List<(string, int)>>(StringComparer.Ordinal);   // edge tensor → readers
        var scaleOf = new Dictionary<string, string>(StringComparer.Ordinal);               // edge tensor → the tensor whose scale it has
        foreach (var n in graph.Nodes.Where(n => n.IsFused && n.OpType is "Linear" or "PatchEmbed"))
        {
            if (n.Inputs.Count < 2 || !graph.Initializers.TryGetValue(n.Inputs[1], out var w) || !w.IsFloat) continue;
            var layer = new RoundedWeights<T>(n, n.Inputs[1], w);
            Layers.Add(layer);
            _unitOfLayer[layer] = Units.FindIndex(u => u.Nodes.Contains(n.Name));
            string x = n.Inputs[0];
            (edges.TryGetValue(x, out var l) ? l : edges[x] = []).Add((n.Name, 0));
            // the quantiser gives a token select (Gather) the scale of its input
            string source = x;
            while (producer.TryGetValue(source, out var p) && !p.IsFused && p.OpType == "Gather") source = p.Inputs[0];
            scaleOf[x] = source;
        }
        if (Layers.Count == 0)
            throw new MetaAugException("MetaAug reconstructs the weights of Linear/MatMul/Conv-patch layers, and this model has none with constant weights; calibrate it with --method instead");
        if (Layers.Select(l => l.WeightName).Distinct().Count() != Layers.Count)
            throw new MetaAugException("two layers share one weight tensor; MetaAug rounds each layer's weights on its own");

        _q = new Tape<T>(graph, new Dictionary<string, int[]> { [_input] = _shape }, Layers.Select(l => l.WeightName).ToList());
        _fp = new Tape<T>(graph, new Dictionary<string, int[]> { [_input] = _shape });
        _classes = _fp.Shape(_logits)[^1];

        // initial steps: what the data calibrator (or minmax) chose, on the grid the quantiser will use
        var sources = scaleOf.Values.Distinct().ToList();
        var min = sources.ToDictionary(s => s, s => initial is null ? 0.0 : initial.Get(s, DataType.Int8).Min);
        var max = sources.ToDictionary(s => s, s => initial is null ? 0.0 : initial.Get(s, DataType.Int8).Max);
        foreach (var xb in initial is null ? Batches(calibration) : [])
        {
            _fp.Forward(Feed(xb));
            foreach (var s in sources)
                foreach (var v in s == _input ? xb : _fp.Value(s))
                {
                    double d = double.CreateTruncating(v);
                    min[s] = Math.Min(min[s], d);
                    max[s] = Math.Max(max[s], d);
                }
        }
        var asymmetric = Quantization.Quantizer.AsymmetricTensors(graph, options.Gelu);
        var steps = sources.ToDictionary(s => s, s => asymmetric.Contains(s) ? ActivationStep.Asymmetric(s, min[s], max[s])
            : Math.Max(-min[s], max[s]) is var m && m > 0 ? new ActivationStep(s, m / ActivationStep.Max) : new ActivationStep(s, 1));
        foreach (var (tensor, readers) in edges)
        {
            var step = steps[scaleOf[tensor]];
            _q.SetEdgeTransform(tensor, readers, new ActivationQuantizer<T>(step, _rng, options.DropProbability));
            int unit = readers.Min(r => Units.FindIndex(u => u.Nodes.Contains(r.Item1)));
            _unitOfStep[step] = _unitOfStep.TryGetValue(step, out int known) ? Math.Min(known, unit) : unit;
            (_edgeTensors.TryGetValue(step, out var list) ? list : _edgeTensors[step] = []).Add(tensor);
        }
        Steps.AddRange(steps.Values);
        if (options.Softmax is "logsqrt2" or "lis")
            foreach (var n in graph.Nodes.Where(n => n.IsFused && n.OpType == "Attention"))
                _attention.Add((n.Name, Units.FindIndex(u => u.Nodes.Contains(n.Name)), new Log2ProbabilityQuantizer<T>(options.Softmax, options.Renormalize)));
        Net = new TransformNet<T>(_shape[1], _shape[2], _shape[3], options.Hidden, options.Seed + 1);
        Select(0, train: false);
    }

    /// <summary>Batches of the tape's size over flat samples (the last one wraps around to the start).</summary>
    private IEnumerable<T[]> Batches(T[] samples)
    {
        int n = samples.Length / _sample, b = _shape[0];
        for (int start = 0; start < n; start += b)
            yield return Gather(samples, Enumerable.Range(start, b).Select(i => i % n).ToArray());
    }

    private T[] Gather(T[] samples, int[] rows)
    {
        var x = new T[rows.Length * _sample];
        for (int i = 0; i < rows.Length; i++) samples.AsSpan(rows[i] * _sample, _sample).CopyTo(x.AsSpan(i * _sample));
        return x;
    }

    private Dictionary<string, T[]> Feed(T[] x) => new(StringComparer.Ordinal) { [_input] = x };

    /// <summary>
    /// Makes <paramref name="unit"/> the current one: earlier units hard, later ones float, this one soft (and its
    /// activation quantisers in QDrop mode when <paramref name="train"/>).
    /// </summary>
    public void Select(int unit, bool train)
    {
        Current = unit;
        foreach (var l in Layers)
            l.Mode = _unitOfLayer[l] < unit ? WeightMode.Hard : _unitOfLayer[l] == unit ? WeightMode.Soft : WeightMode.Float;
        foreach (var s in Steps)
            s.Mode = _unitOfStep[s] < unit ? ActivationMode.Quantize : _unitOfStep[s] == unit ? (train ? ActivationMode.QDrop : ActivationMode.Quantize) : ActivationMode.Off;
        foreach (var (node, u, codes) in _attention) _q.SetProbabilityTransform(node, u <= unit ? codes : null);
    }

    /// <summary>Everything hard (the model the .edgn will hold, as far as simulated).</summary>
    public void Freeze()
    {
        Current = Units.Count;
        foreach (var l in Layers) l.Mode = WeightMode.Hard;
        foreach (var s in Steps) s.Mode = ActivationMode.Quantize;
        foreach (var (node, _, codes) in _attention) _q.SetProbabilityTransform(node, codes);
    }

    /// <summary>For tests: no activation or probability quantisation (a smooth model: soft rounding only).</summary>
    public void DisableActivationQuantization()
    {
        foreach (var s in Steps) s.Mode = ActivationMode.Off;
        foreach (var (node, _, _) in _attention) _q.SetProbabilityTransform(node, null);
    }

    public IEnumerable<RoundedWeights<T>> CurrentLayers => Layers.Where(l => _unitOfLayer[l] == Current);
    private IEnumerable<ActivationStep> CurrentSteps => Steps.Where(s => _unitOfStep[s] == Current);
    private string CurrentOutput => Units[Current].Output;

    /// <summary>Runs the quantised tape on a batch.</summary>
    public void ForwardQuantized(T[] x)
    {
        var feed = Feed(x);
        foreach (var l in Layers) feed[l.WeightName] = l.Values();
        _q.Forward(feed);
    }

    /// <summary>The quantised model's logits on a batch (after <see cref="Select"/> or <see cref="Freeze"/>).</summary>
    public T[] QuantizedLogits(T[] x)
    {
        ForwardQuantized(x);
        return (T[])_q.Value(_logits).Clone();
    }

    public T[] FloatLogits(T[] x)
    {
        _fp.Forward(Feed(x));
        return (T[])_fp.Value(_logits).Clone();
    }

    /// <summary>The float model's value of the current unit's output on a batch.</summary>
    public T[] FloatUnitOutput(T[] x)
    {
        _fp.Forward(Feed(x));
        return (T[])_fp.Value(CurrentOutput).Clone();
    }

    /// <summary>
    /// Backward through the quantised tape from seeds. With <paramref name="dV"/>: accumulates ∂L/∂V of the current
    /// layers into it and the current steps' gradients into the steps, returns null; without: returns ∂L/∂input.
    /// </summary>
    private T[]? BackwardQuantized(Dictionary<string, T[]> seeds, Dictionary<RoundedWeights<T>, T[]>? dV)
    {
        // only what is asked for: the pruned backward skips the prefix when the current unit's parameters are wanted
        var grads = _q.Backward(seeds, dV is null ? [_input]
            : [.. CurrentLayers.Select(l => l.WeightName), .. CurrentSteps.SelectMany(s => _edgeTensors[s])]);
        if (dV is not null)
            foreach (var l in CurrentLayers) l.Backward(grads[l.WeightName], dV.TryGetValue(l, out var d) ? d : dV[l] = new T[l.V.Length]);
        return dV is null ? grads[_input] : null;
    }

    /// <summary>Reconstruction loss of the current unit on x against the float target, and its gradient (the seed for backward).</summary>
    private double UnitLoss(T[] x, T[] target, out T[] dq)
    {
        ForwardQuantized(x);
        var q = _q.Value(CurrentOutput);
        dq = new T[q.Length];
        return MetaAugLosses.Reconstruction(q, target, _q.Shape(CurrentOutput)[^1], dq);
    }

    // ---------------- the bi-level (meta) step ----------------

    /// <summary>The parts of the outer objective J(φ) at one meta step.</summary>
    public readonly record struct OuterLoss(double Kl, double Margin, double Info)
    {
        public double Total(MetaAugOptions o) => o.Alpha * Kl + o.MarginWeight * Margin + o.InfoWeight * Info;
    }

    private Dictionary<RoundedWeights<T>, T[]> SaveV() => CurrentLayers.ToDictionary(l => l, l => (T[])l.V.Clone());

    private void RestoreV(Dictionary<RoundedWeights<T>, T[]> saved) { foreach (var (l, v) in saved) l.V = (T[])v.Clone(); }

    /// <summary>θ ← θ₀ + c·d for the current layers' rounding logits.</summary>
    private void SetV(Dictionary<RoundedWeights<T>, T[]> theta, Dictionary<RoundedWeights<T>, T[]> d, double c)
    {
        foreach (var (l, v) in theta)
        {
            var next = new T[v.Length];
            var dl = d.TryGetValue(l, out var g) ? g : new T[v.Length];
            for (int i = 0; i < v.Length; i++) next[i] = v[i] + T.CreateTruncating(c) * dl[i];
            l.V = next;
        }
    }

    /// <summary>
    /// The exact outer objective after one inner SGD step, J(φ) = α·KL_τ(fp(x) ‖ q_{θ'}(x)) + β·margin(T_φ(x), x)
    /// + γ·KL_τ(fp(x) ‖ fp(T_φ(x))), θ' = θ − η·∇_θ L_rec(θ, T_φ(x)). V is left unchanged. (For the hypergradient check.)
    /// </summary>
    public OuterLoss Objective(T[] x)
    {
        var theta = SaveV();
        var zfp = FloatLogits(x);
        var tx = Net.Forward(x);
        var zt = FloatLogits(tx);
        var target = FloatUnitOutput(tx);
        UnitLoss(tx, target, out var dq);
        var g = new Dictionary<RoundedWeights<T>, T[]>();
        BackwardQuantized(new() { [CurrentOutput] = dq }, g);
        SetV(theta, g, -_options.InnerLearningRate);
        var zq = QuantizedLogits(x);
        RestoreV(theta);
        return new OuterLoss(MetaAugLosses.Kl<T>(zfp, zq, _classes, _options.Temperature, null),
            MetaAugLosses.Margin<T>(tx, x, _options.MarginThreshold, null),
            MetaAugLosses.Kl<T>(zfp, zt, _classes, _options.Temperature, null));
    }

    /// <summary>
    /// One meta step's hypergradient ∂J/∂φ by the DARTS finite-difference approximation (calibration.md §6.2 (b)):
    /// ∂J/∂φ ≈ direct − η/(2ε)·[∂L_rec(θ⁺, T_φ)/∂φ − ∂L_rec(θ⁻, T_φ)/∂φ], θ± = θ ± ε·∇_θ' L_val(θ'), ε = 0.01/‖∇_θ' L_val‖.
    /// Returns the gradient (not applied) and J at φ. V is left unchanged.
    /// </summary>
    public (T[] Gradient, OuterLoss Loss) Hypergradient(T[] x)
    {
        var o = _options;
        var theta = SaveV();
        var zfp = FloatLogits(x);
        var tx = Net.Forward(x);
        var dtx = new T[tx.Length];
        double margin = MetaAugLosses.Margin(tx, x, o.MarginThreshold, dtx);
        for (int i = 0; i < dtx.Length; i++) dtx[i] *= T.CreateTruncating(o.MarginWeight);

        _fp.Forward(Feed(tx));
        var zt = (T[])_fp.Value(_logits).Clone();
        var target = (T[])_fp.Value(CurrentOutput).Clone();
        var dzt = new T[zt.Length];
        double info = MetaAugLosses.Kl(zfp, zt, _classes, o.Temperature, dzt);
        for (int i = 0; i < dzt.Length; i++) dzt[i] *= T.CreateTruncating(o.InfoWeight);

        // inner step θ' = θ − η∇θ L_rec(θ, T(x))
        UnitLoss(tx, target, out var dq);
        var g = new Dictionary<RoundedWeights<T>, T[]>();
        BackwardQuantized(new() { [CurrentOutput] = dq }, g);
        SetV(theta, g, -o.InnerLearningRate);
        // outer loss at θ' on the original samples, and v = ∇θ' L_val
        var zq = QuantizedLogits(x);
        var dzq = new T[zq.Length];
        double kl = MetaAugLosses.Kl(zfp, zq, _classes, o.Temperature, dzq);
        for (int i = 0; i < dzq.Length; i++) dzq[i] *= T.CreateTruncating(o.Alpha);
        var v = new Dictionary<RoundedWeights<T>, T[]>();
        BackwardQuantized(new() { [_logits] = dzq }, v);
        double norm = Math.Sqrt(v.Values.Sum(a => a.Sum(e => double.CreateTruncating(e * e))));

        var dx = dtx;
        var fpSeeds = new Dictionary<string, T[]>(StringComparer.Ordinal) { [_logits] = dzt };
        if (norm > 0)
        {
            double eps = 0.01 / norm, c = o.InnerLearningRate / (2 * eps);
            var qSeedDiff = new T[target.Length];
            foreach (int sign in new[] { 1, -1 })
            {
                SetV(theta, v, sign * eps);
                UnitLoss(tx, target, out var dqs);
                var gx = BackwardQuantized(new() { [CurrentOutput] = dqs }, null)!;
                for (int i = 0; i < dx.Length; i++) dx[i] -= T.CreateTruncating(sign * c) * gx[i];
                for (int i = 0; i < dqs.Length; i++) qSeedDiff[i] += T.CreateTruncating(sign * c) * dqs[i];
            }
            // L_rec = ‖q − f‖² also reads T(x) through the float model: its part is −J_fᵀ·∂L/∂q, with the opposite sign
            if (fpSeeds.TryGetValue(CurrentOutput, out var both)) for (int i = 0; i < both.Length; i++) both[i] += qSeedDiff[i];
            else fpSeeds[CurrentOutput] = qSeedDiff;
        }
        _fp.Forward(Feed(tx));
        var gfp = _fp.Backward(fpSeeds)[_input];
        for (int i = 0; i < dx.Length; i++) dx[i] += gfp[i];
        RestoreV(theta);
        Net.Forward(x);
        return (Net.Backward(dx), new OuterLoss(kl, margin, info));
    }

    // ---------------- running it ----------------

    /// <summary>
    /// Meta stage and reconstruction of every unit, in order, on flat <paramref name="samples"/>; ends frozen (hard).
    /// </summary>
    public void Run(T[] samples)
    {
        var o = _options;
        int n = samples.Length / _sample, b = _shape[0];
        var netAdam = new Adam(Net.Parameters.Length);
        var clock = Stopwatch.StartNew();
        for (int u = 0; u < Units.Count; u++)
        {
            Select(u, train: false);
            if (!CurrentLayers.Any()) continue;
            for (int step = 0; step < o.MetaSteps; step++)
            {
                var x = Gather(samples, Pick(n, b));
                var (grad, loss) = Hypergradient(x);
                double gn = Math.Sqrt(grad.Sum(e => double.CreateTruncating(e * e)));
                if (gn > o.GradientClip) for (int i = 0; i < grad.Length; i++) grad[i] *= T.CreateTruncating(o.GradientClip / gn);
                netAdam.Step(Net.Parameters, grad, o.TransformLearningRate);
                Report("meta", u, step, o.MetaSteps, loss.Total(o), clock);
            }
            // the pool: the samples and their transforms (2N), with the float unit outputs as targets
            var pool = new T[2 * n * _sample];
            samples.CopyTo(pool, 0);
            foreach (var (xb, start) in Batches(samples).Select((x, i) => (x, i * b)))
            {
                var tx = Net.Forward(xb);
                int count = Math.Min(b, n - start);
                tx.AsSpan(0, count * _sample).CopyTo(pool.AsSpan((n + start) * _sample));
            }
            Reconstruct(pool, u, clock);
        }
        Freeze();
    }

    private int[] Pick(int n, int b)
    {
        var idx = Enumerable.Range(0, n).ToArray();
        _rng.Shuffle(idx);
        return Enumerable.Range(0, b).Select(i => idx[i % n]).ToArray();
    }

    private void Reconstruct(T[] pool, int unit, Stopwatch clock)
    {
        var o = _options;
        int n = pool.Length / _sample, b = _shape[0];
        Select(unit, train: false);
        int width = _fp.Shape(CurrentOutput)[^1], outRow = 0;
        var targets = new List<T[]>();
        foreach (var xb in Batches(pool))
        {
            var f = FloatUnitOutput(xb);
            outRow = f.Length / b;
            targets.Add(f);
        }
        T[] Target(int[] rows)
        {
            var t = new T[rows.Length * outRow];
            for (int i = 0; i < rows.Length; i++) targets[rows[i] / b].AsSpan(rows[i] % b * outRow, outRow).CopyTo(t.AsSpan(i * outRow));
            return t;
        }
        Select(unit, train: true);
        var layers = CurrentLayers.ToList();
        var steps = CurrentSteps.ToList();
        var adamV = layers.ToDictionary(l => l, l => new Adam(l.V.Length));
        var adamS = new Adam(steps.Count);
        var initial = steps.Select(s => s.Step).ToArray();
        // At int8 the block error is tiny next to a regulariser summed over every weight: the reconstruction term is
        // measured relative to its value with round-to-nearest on the whole pool, the regulariser as a mean over weights.
        double reference = ReferenceError(pool, n, b, Target);
        int weightCount = layers.Sum(l => l.V.Length);
        for (int it = 0; it < o.Iterations; it++)
        {
            var rows = Pick(n, b);
            foreach (var s in steps) s.Gradient = 0;
            double loss = UnitLoss(Gather(pool, rows), Target(rows), out var dq) / reference;
            for (int i = 0; i < dq.Length; i++) dq[i] /= T.CreateTruncating(reference);
            var dV = new Dictionary<RoundedWeights<T>, T[]>();
            BackwardQuantized(new() { [CurrentOutput] = dq }, dV);
            if (AdaRound.RegularizerActive(it, o.Iterations, o.WarmUp))
            {
                double beta = AdaRound.Beta(it, o.Iterations, o.WarmUp);
                foreach (var l in layers) loss += l.Regularizer(beta, o.RoundingWeight / weightCount, dV.TryGetValue(l, out var d) ? d : dV[l] = new T[l.V.Length]);
            }
            foreach (var l in layers) if (dV.TryGetValue(l, out var d)) adamV[l].Step(l.V, d, o.RoundingLearningRate);
            if (steps.Count > 0)
            {
                // steps move relative to their initial size (a step is ~max|x|/127, far from the scale of V)
                var rel = steps.Select((s, i) => s.Step / initial[i]).ToArray();
                adamS.Step(rel, steps.Select((s, i) => s.Gradient * initial[i]).ToArray(), o.StepLearningRate);
                for (int i = 0; i < steps.Count; i++) steps[i].Step = Math.Max(rel[i], 1e-3) * initial[i];
            }
            Report("reconstruction", unit, it, o.Iterations, loss, clock);
        }
    }

    /// <summary>The current unit's reconstruction error with round-to-nearest weights, averaged over the pool (no QDrop).</summary>
    private double ReferenceError(T[] pool, int n, int b, Func<int[], T[]> target)
    {
        var modes = Steps.ToDictionary(s => s, s => s.Mode);
        foreach (var s in CurrentSteps) s.Mode = ActivationMode.Quantize;
        foreach (var l in CurrentLayers) l.Mode = WeightMode.Hard;
        double sum = 0;
        int batches = 0;
        for (int start = 0; start < n; start += b, batches++)
        {
            var rows = Enumerable.Range(start, b).Select(i => i % n).ToArray();
            sum += UnitLoss(Gather(pool, rows), target(rows), out _);
        }
        foreach (var (s, m) in modes) s.Mode = m;
        foreach (var l in CurrentLayers) l.Mode = WeightMode.Soft;
        return Math.Max(sum / batches, 1e-30);
    }

    private void Report(string phase, int unit, int step, int steps, double loss, Stopwatch clock)
    {
        if (_options.Progress is not { } report) return;
        if ((step + 1) % _options.ProgressEvery != 0 && step + 1 != steps) return;
        report(new MetaAugProgress(phase, unit + 1, Units.Count, step + 1, steps, loss, clock.Elapsed));
    }
}
