#!/usr/bin/env bash
# The main job on the bundled sample model (tests/fixtures/vit_prepbn.onnx, a PRepBN ViT trained on
# digits). What runs today, honestly labelled:
#   1. edgenorm info                         — CPU features and the kernel paths of this binary
#   2. edgenorm eval vit_prepbn.onnx          — float reference accuracy on 3,573 held-out digits
#   3. calibrate → run → bench               — not available yet (integer runtime: issues #4–#6);
#                                              the script says so instead of pretending.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build src/EdgeNorm.Cli -c Release --no-restore -v quiet -o out/jit >/dev/null
edgenorm() { out/jit/edgenorm "$@"; }
F=tests/fixtures

echo "== edgenorm info"
edgenorm info
echo
echo "== edgenorm eval $F/vit_prepbn.onnx (float reference executor)"
edgenorm eval $F/vit_prepbn.onnx --data $F/digits_test_x.npy --labels $F/digits_test_y.npy
echo
echo "== edgenorm calibrate / run / bench"
for verb in calibrate run bench; do
  edgenorm $verb out/sample.edgn 2>&1 | sed 's/^/   /' || true
done
