#!/usr/bin/python3
"""Generate the ONNX backend node-test cases for the ops EdgeNorm's importer claims.

    /usr/bin/python3 tests/conformance/generate.py

Uses Debian's python3-onnx (1.12, opsets up to 17), whose package ships the node-test *generators* but not the
data. onnx 1.12 still uses numpy aliases that numpy 1.24 removed (np.float, np.int, np.bool, np.object,
np.complex), so they are restored before the generator runs (toolchain.md §7).

Selection: every generated case whose model uses only ops in CLAIMED (the ONNX-domain ops of EdgeNorm's float
op catalogue; claimed_ops.txt lists them and a test checks the catalogue agrees). Cases exported at an opset
below 13 are moved to opset 13 when every op in them has the same definition at 13 as at the exported opset
(onnx.defs: since_version <= exported opset); otherwise they are left out (listed in skipped.txt).
Output: node/<case>/model.onnx and node/<case>/test_data_set_*/{input,output}_*.pb.

float64: the float IR has one float type (float32), so cases with float64 data fail (expected_failures.txt).
For each case whose only unsupported type is float64, a "<case>_f32" twin is added: every float64 in the
model (value types, initializers, tensor attributes, Cast/ConstantOfShape targets) and in the data becomes
float32 (the reference outputs, computed in float64 by ONNX's generator, are rounded to float32). That way ops
such as CumSum and ReduceLogSumExp, whose upstream cases are all float64, are still checked.
"""

import os
import shutil
import sys
import tempfile

import warnings

import numpy as np

for alias, real in (("float", float), ("int", int), ("bool", bool), ("object", object), ("complex", complex)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        missing = not hasattr(np, alias)
    if missing:
        setattr(np, alias, real)

import onnx  # noqa: E402
from onnx import TensorProto, defs, numpy_helper  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "node")

CLAIMED = sorted("""
Abs Add And ArgMax ArgMin AveragePool BatchNormalization Cast CastLike Ceil Clip Concat Constant ConstantOfShape Conv
Cos CumSum Div Dropout Elu Equal Erf Exp Expand Flatten Floor Gather Gemm GlobalAveragePool GlobalMaxPool Greater
GreaterOrEqual HardSigmoid HardSwish Identity InstanceNormalization LayerNormalization LeakyRelu Less LessOrEqual Log
LogSoftmax MatMul Max MaxPool Mean Min Mod Mul Neg Not Or PRelu Pad Pow Range Reciprocal ReduceL1 ReduceL2
ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare Relu Reshape Round
Selu Shape Sigmoid Sign Sin Size Slice Softmax Softplus Softsign Split Sqrt Squeeze Sub Sum Tanh Tile Transpose Trilu
Unsqueeze Where Xor
""".split())

MIN_OPSET, MAX_OPSET = 13, 17


def generate(tmp):
    argv = sys.argv
    sys.argv = ["cmd_tools", "generate-data", "-o", tmp]
    try:
        import runpy
        runpy.run_module("onnx.backend.test.cmd_tools", run_name="__main__")
    finally:
        sys.argv = argv


UNSUPPORTED_TYPES = {TensorProto.STRING, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.UINT32,
                     TensorProto.UINT64, TensorProto.COMPLEX64, TensorProto.COMPLEX128}


def tensor_protos(model):
    yield from model.graph.initializer
    for n in model.graph.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                yield a.t


def value_infos(model):
    yield from model.graph.input
    yield from model.graph.output
    yield from model.graph.value_info


def data_files(case_dir):
    for d in sorted(os.listdir(case_dir)):
        if d.startswith("test_data_set_"):
            for f in sorted(os.listdir(os.path.join(case_dir, d))):
                yield os.path.join(case_dir, d, f)


def types_used(model, case_dir):
    types = {t.data_type for t in tensor_protos(model)}
    types |= {v.type.tensor_type.elem_type for v in value_infos(model) if v.type.HasField("tensor_type")}
    for n in model.graph.node:
        for a in n.attribute:
            if n.op_type == "Cast" and a.name == "to":
                types.add(a.i)
    for f in data_files(case_dir):
        t = TensorProto()
        with open(f, "rb") as fh:
            t.ParseFromString(fh.read())
        types.add(t.data_type)
    return types


def f32_twin(model, src, dst):
    """Copy of a float64 case with every float64 turned into float32."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for v in value_infos(m):
        if v.type.HasField("tensor_type") and v.type.tensor_type.elem_type == TensorProto.DOUBLE:
            v.type.tensor_type.elem_type = TensorProto.FLOAT
    for t in tensor_protos(m):
        if t.data_type == TensorProto.DOUBLE:
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float32), t.name))
    for n in m.graph.node:
        for a in n.attribute:
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.DOUBLE:
                a.i = TensorProto.FLOAT
    onnx.checker.check_model(m)
    os.makedirs(dst)
    onnx.save(m, os.path.join(dst, "model.onnx"))
    for f in data_files(src):
        t = TensorProto()
        with open(f, "rb") as fh:
            t.ParseFromString(fh.read())
        if t.data_type == TensorProto.DOUBLE:
            t = numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float32), t.name)
        rel = os.path.relpath(f, src)
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        with open(os.path.join(dst, rel), "wb") as fh:
            fh.write(t.SerializeToString())


def default_opset(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return None


def main():
    claimed = set(CLAIMED)
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        src_root = os.path.join(tmp, "node")
        if os.path.isdir(OUT):
            shutil.rmtree(OUT)
        os.makedirs(OUT)
        kept, skipped = [], []
        for case in sorted(os.listdir(src_root)):
            src = os.path.join(src_root, case)
            model = onnx.load(os.path.join(src, "model.onnx"))
            ops = {n.op_type for n in model.graph.node}
            if any(n.domain not in ("", "ai.onnx") for n in model.graph.node) or not ops <= claimed:
                continue
            version = default_opset(model)
            if version is None or version > MAX_OPSET:
                skipped.append(f"{case}\topset {version}")
                continue
            if version < MIN_OPSET:
                if not all(defs.get_schema(op, MIN_OPSET).since_version <= version for op in ops):
                    changed = [op for op in sorted(ops) if defs.get_schema(op, MIN_OPSET).since_version > version]
                    skipped.append(f"{case}\topset {version}; {','.join(changed)} changed before opset {MIN_OPSET}")
                    continue
                for o in model.opset_import:
                    if o.domain in ("", "ai.onnx"):
                        o.version = MIN_OPSET
                onnx.checker.check_model(model)
            dst = os.path.join(OUT, case)
            shutil.copytree(src, dst)
            onnx.save(model, os.path.join(dst, "model.onnx"))
            kept.append(case)
            types = types_used(model, src)
            if TensorProto.DOUBLE in types and not types & UNSUPPORTED_TYPES:
                f32_twin(model, dst, dst + "_f32")
                kept.append(case + "_f32")
    with open(os.path.join(HERE, "claimed_ops.txt"), "w") as f:
        f.write("# ONNX-domain ops EdgeNorm claims (written by generate.py; must equal the float op catalogue)\n")
        f.write("\n".join(CLAIMED) + "\n")
    with open(os.path.join(HERE, "skipped.txt"), "w") as f:
        f.write("# cases of claimed ops not generated into node/ (written by generate.py)\n")
        f.write("\n".join(skipped) + ("\n" if skipped else ""))
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"{len(kept)} cases in {OUT} ({size / 1e6:.2f} MB); {len(skipped)} skipped")


if __name__ == "__main__":
    main()
