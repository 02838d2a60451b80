#!/usr/bin/env bash
# The main job on the bundled sample model (tests/fixtures/vit_prepbn.onnx, a PRepBN ViT trained on
# digits): info → float accuracy → calibrate → verify → run → integer accuracy → bench.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build src/EdgeNorm.Cli -c Release --no-restore -v quiet -o out/jit >/dev/null
edgenorm() { out/jit/edgenorm "$@"; }
F=tests/fixtures
M=out/sample.edgn

echo "== edgenorm info";                 edgenorm info
echo; echo "== float reference (ONNX)";   edgenorm eval $F/vit_prepbn.onnx --data $F/digits_test_x.npy --labels $F/digits_test_y.npy
echo; echo "== calibrate (minmax, 256 images)"
edgenorm calibrate $F/vit_prepbn.onnx -o $M --data $F/digits_calib_x.npy
echo; echo "== verify";                   edgenorm verify $M
echo; echo "== run";                      edgenorm run $M --input $F/digits_test_x.npy --output out/sample_logits.npy && echo "logits -> out/sample_logits.npy"
echo; echo "== integer accuracy";         edgenorm eval $M --data $F/digits_test_x.npy --labels $F/digits_test_y.npy
echo; echo "== bench";                    edgenorm bench $M --warmup 20 --iterations 200
