#!/usr/bin/env bash
# Soak (docs/reliability.md; not part of scripts/test.sh): calibrates the sample model, then runs N batch-1
# inferences (default 100000) in one process through one session, after 20000 warm-up runs, and reports RSS after
# warm-up, at every tenth and at the end, the managed bytes allocated, GCs and JIT compilations inside the loop, and
# the latency drift (p50 of the first vs the last 10 %). Exits 1 if RSS rose more than 1 MiB above its after-warm-up
# value at any sample.
#   scripts/soak.sh [ITERATIONS] [MODEL.edgn]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
N="${1:-100000}"
OUT="${SOAK_OUT:-/tmp/edgenorm-soak}"
mkdir -p "$OUT"
MODEL="${2:-}"
if [ -z "$MODEL" ]; then
  MODEL="$OUT/vit_prepbn.edgn"
  dotnet run --project src/EdgeNorm.Cli -c Release --artifacts-path "$OUT/artifacts" -- \
    calibrate tests/fixtures/vit_prepbn.onnx -o "$MODEL" --data tests/fixtures/digits_calib_x.npy --samples 256 >&2
fi
dotnet build tests/Soak/EdgeNorm.Soak/EdgeNorm.Soak.csproj -c Release --artifacts-path "$OUT/artifacts" --verbosity quiet -nologo >&2
dotnet "$OUT/artifacts/bin/EdgeNorm.Soak/release/EdgeNorm.Soak.dll" "$MODEL" "$N"
