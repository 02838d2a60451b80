using EdgeNorm.Calibration.Float.Ops;

namespace EdgeNorm.Calibration.Float;

public static partial class FloatOps
{
    /// <summary>
    /// The ONNX ops (default domain, opsets 13–17) the float reference executor implements — the list the
    /// importer claims in docs/onnx-support.md and checks with the ONNX backend node tests.
    /// </summary>
    static partial void AddOnnxOps(List<IFloatOp> ops)
    {
        // elementwise arithmetic, comparison and logic (numpy broadcasting)
        ops.Add(new AddOp());
        ops.Add(new SubOp());
        ops.Add(new MulOp());
        ops.Add(new DivOp());
        ops.Add(new PowOp());
        ops.Add(new ModOp());
        ops.Add(new PReluOp());
        ops.Add(new VariadicOp("Max"));
        ops.Add(new VariadicOp("Min"));
        ops.Add(new VariadicOp("Sum"));
        ops.Add(new VariadicOp("Mean"));
        ops.Add(new EqualOp());
        ops.Add(new LessOp());
        ops.Add(new GreaterOp());
        ops.Add(new LessOrEqualOp());
        ops.Add(new GreaterOrEqualOp());
        ops.Add(new AndOp());
        ops.Add(new OrOp());
        ops.Add(new XorOp());
        ops.Add(new NotOp());
        ops.Add(new WhereOp());
        // elementwise functions
        ops.Add(new AbsOp());
        ops.Add(new NegOp());
        ops.Add(new SignOp());
        ops.Add(new SqrtOp());
        ops.Add(new ExpOp());
        ops.Add(new LogOp());
        ops.Add(new ReciprocalOp());
        ops.Add(new FloorOp());
        ops.Add(new CeilOp());
        ops.Add(new RoundOp());
        ops.Add(new SinOp());
        ops.Add(new CosOp());
        ops.Add(new ErfOp());
        ops.Add(new TanhOp());
        ops.Add(new SigmoidOp());
        ops.Add(new ReluOp());
        ops.Add(new LeakyReluOp());
        ops.Add(new EluOp());
        ops.Add(new SeluOp());
        ops.Add(new HardSigmoidOp());
        ops.Add(new HardSwishOp());
        ops.Add(new SoftplusOp());
        ops.Add(new SoftsignOp());
        ops.Add(new ClipOp());
        ops.Add(new CastOp());
        ops.Add(new CastOp("CastLike"));
        ops.Add(new IdentityOp());
        ops.Add(new IdentityOp("Dropout"));
        // linear algebra and convolution
        ops.Add(new MatMulOp());
        ops.Add(new GemmOp());
        ops.Add(new ConvOp());
        ops.Add(new PoolOp("MaxPool"));
        ops.Add(new PoolOp("AveragePool"));
        ops.Add(new GlobalPoolOp("GlobalAveragePool"));
        ops.Add(new GlobalPoolOp("GlobalMaxPool"));
        // normalisation
        ops.Add(new SoftmaxOp());
        ops.Add(new SoftmaxOp("LogSoftmax"));
        ops.Add(new LayerNormalizationOp());
        ops.Add(new BatchNormalizationOp());
        ops.Add(new InstanceNormalizationOp());
        // reductions
        foreach (var r in new[] { "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp" })
            ops.Add(new ReduceOp(r));
        ops.Add(new ArgOp("ArgMax"));
        ops.Add(new ArgOp("ArgMin"));
        ops.Add(new CumSumOp());
        // shapes and data movement
        ops.Add(new ReshapeOp());
        ops.Add(new FlattenOp());
        ops.Add(new SqueezeOp());
        ops.Add(new UnsqueezeOp());
        ops.Add(new TransposeOp());
        ops.Add(new ConcatOp());
        ops.Add(new SplitOp());
        ops.Add(new SliceOp());
        ops.Add(new GatherOp());
        ops.Add(new ExpandOp());
        ops.Add(new TileOp());
        ops.Add(new PadOp());
        ops.Add(new TriluOp());
        ops.Add(new ShapeOp());
        ops.Add(new SizeOp());
        ops.Add(new ConstantOp());
        ops.Add(new ConstantOfShapeOp());
        ops.Add(new RangeOp());
    }
}
