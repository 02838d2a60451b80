#!/usr/bin/python3
"""Write the ONNX seed models of the fuzz corpus (tests/Fuzz/corpus/onnx) — tiny, untrained versions of the
fixture architectures, so AFL's mutations stay cheap — and the calibration data for the .edgn seeds.

Run from anywhere:  /usr/bin/python3 tests/Fuzz/make_seeds.py ; then scripts/fuzz.sh seeds calibrates the .edgn
seeds from these with `edgenorm calibrate`. Weights are random (fixed seed): fuzzing needs valid structure, not
accuracy.
"""

import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "fixtures", "generator")
sys.path.insert(0, GEN)
import make_fixtures as mf  # noqa: E402
from edgenorm_norms import export_onnx  # noqa: E402

ONNX_DIR = os.path.join(HERE, "corpus", "onnx")
WORK = os.path.join(HERE, "seed-data")  # calibration inputs for the .edgn seeds (not committed)


def tiny_vit(kind: str, opset: int, name: str) -> None:
    torch.manual_seed(7)
    model = mf.DigitsViT(mf.norm_factory(kind, 100), dim=8, depth=1, num_heads=2, mlp_ratio=1.0)
    model.eval()
    export_onnx(model, os.path.join(ONNX_DIR, name), torch.zeros(1, 1, 8, 8), ["pixels"], opset=opset)


def main() -> None:
    os.makedirs(ONNX_DIR, exist_ok=True)
    os.makedirs(WORK, exist_ok=True)
    tiny_vit("layernorm", 13, "tiny_vit_ln13.onnx")
    tiny_vit("layernorm", 17, "tiny_vit_ln17.onnx")
    tiny_vit("l1norm", 17, "tiny_vit_l1.onnx")
    tiny_vit("prepbn", 17, "tiny_vit_prepbn.onnx")
    rng = np.random.default_rng(7)
    np.save(os.path.join(WORK, "calib_x.npy"), rng.uniform(0, 1, size=(8, 1, 8, 8)).astype(np.float32))
    for f in sorted(os.listdir(ONNX_DIR)):
        print(f, os.path.getsize(os.path.join(ONNX_DIR, f)))


if __name__ == "__main__":
    main()
