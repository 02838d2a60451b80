using EdgeNorm.Calibration.Float;
using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Onnx;
using EdgeNorm.Runtime;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>
/// The language-ID BERT (int64 input_ids + attention_mask, Embedding, masked attention with separate q/k/v,
/// post-LN residuals, Tanh pooler): calibrated on the 256 calibration words, evaluated on the 3,500 held-out
/// words through the named int64 inputs. Float top-1 0.7891 (2762, docs/fusion.md); issue #4's criteria as for
/// the ViTs (<see cref="EndToEnd.Criteria"/>).
/// </summary>
public class BertEndToEndTests(ITestOutputHelper output)
{
    private const int FloatCorrect = 2762;

    private static Dictionary<string, Tensor> Load(string prefix) => new()
    {
        ["input_ids"] = Npy.ReadTensor(TestPaths.Fixture($"lang_{prefix}_input_ids.npy")),
        ["attention_mask"] = Npy.ReadTensor(TestPaths.Fixture($"lang_{prefix}_attention_mask.npy")),
    };

    private static readonly Lazy<Graph> Graph = new(() => OnnxImporter.Import(TestPaths.Fixture("bert_lang.onnx")));
    private static readonly Lazy<Dictionary<string, Tensor>> Test = new(() => Load("test"));
    private static readonly Lazy<long[]> Labels = new(() => Npy.ReadTensor(TestPaths.Fixture("lang_test_y.npy")).L);

    private static readonly Lazy<int[]> FloatPredicted = new(() =>
    {
        var executor = new FloatExecutor(Graph.Value);
        var test = Test.Value;
        int n = Labels.Value.Length;
        var predicted = new int[n];
        for (int start = 0; start < n; start += 250)
        {
            int count = Math.Min(250, n - start);
            var logits = executor.Run(test.ToDictionary(kv => kv.Key, kv => EndToEnd.Rows(kv.Value, start, count)))[Graph.Value.Outputs[0].Name];
            EndToEnd.ArgMax(logits.F, count, (int)(logits.Length / count), predicted.AsSpan(start, count));
        }
        return predicted;
    });

    private static (EdgeNormModel Model, int[] Predicted) RunInteger(string softmax)
    {
        var model = EdgeNormModel.Load(Quantizer.Quantize(Graph.Value, Load("calib"), new QuantizerOptions { Softmax = softmax }).ToArray());
        var test = Test.Value;
        int n = Labels.Value.Length, s = test["input_ids"].Shape[1], classes = model.Outputs[0].SampleElements;
        const int batch = 100;
        var session = model.CreateSession(new SessionOptions { MaxBatch = batch });
        var logits = new float[batch * classes];
        var predicted = new int[n];
        for (int start = 0; start < n; start += batch)
        {
            int count = Math.Min(batch, n - start);
            session.SetInput("input_ids", test["input_ids"].L.AsSpan(start * s, count * s));
            session.SetInput("attention_mask", test["attention_mask"].L.AsSpan(start * s, count * s));
            session.Run(count);
            session.GetOutput("logits", logits.AsSpan(0, count * classes));
            EndToEnd.ArgMax(logits, count, classes, predicted.AsSpan(start, count));
        }
        return (model, predicted);
    }

    [Fact]
    public void BertLang_Log2_WithinIssueCriteria()
    {
        var (model, predicted) = RunInteger("log2");
        EndToEnd.AssertCriteria("bert_lang", "log2", predicted, FloatPredicted.Value, Labels.Value, FloatCorrect, output);

        // A token id outside the vocabulary is a clear input error, not an out-of-range read.
        int s = Test.Value["input_ids"].Shape[1];
        var session = model.CreateSession(new SessionOptions { MaxBatch = 1 });
        session.SetInput("input_ids", Enumerable.Repeat(999L, s).ToArray());
        session.SetInput("attention_mask", Enumerable.Repeat(1L, s).ToArray());
        Assert.Throws<InputShapeException>(() => session.Run(1));
        Assert.Throws<InputShapeException>(() => session.SetInput("input_ids", new float[s]));
    }

    [Fact]
    public void BertLang_Linear_WithinIssueCriteria()
    {
        var (_, predicted) = RunInteger("linear");
        EndToEnd.AssertCriteria("bert_lang", "linear", predicted, FloatPredicted.Value, Labels.Value, FloatCorrect, output);
    }
}
