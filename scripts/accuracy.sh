#!/usr/bin/env bash
# Accuracy of the integer models vs float (docs/accuracy.md): for each fixture and each variant, calibrate on the
# 256 calibration samples, evaluate on the held-out set, and print one markdown row:
#   | fixture | variant | float top-1 | integer top-1 | Δ (pp) | agreement with float |
# Usage: scripts/accuracy.sh [EDGENORM] [fixture…]   (EDGENORM: the edgenorm command; default: `edgenorm` on PATH)
# Variants via VARIANTS="name:calibrate-flags;…" (default below). CPU-heavy: ~30 s per row with scalar kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
E=${1:-edgenorm}; shift || true
FIXTURES=${*:-vit_prepbn vit_l1 vit_ln_op17 vit_ln_op13 bert_lang}
VARIANTS=${VARIANTS:-"log2 (default):;linear:--softmax linear"}
F=tests/fixtures
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
json() { sed -n "s/.*\"$1\":\([0-9.e-]*\).*/\1/p"; }
echo "| fixture | variant | float top-1 | integer top-1 | Δ (pp) | agreement with float |"
echo "|---|---|---|---|---|---|"
for m in $FIXTURES; do
  if [ "$m" = bert_lang ]; then
    CAL="input_ids=$F/lang_calib_input_ids.npy attention_mask=$F/lang_calib_attention_mask.npy"
    TEST="input_ids=$F/lang_test_input_ids.npy attention_mask=$F/lang_test_attention_mask.npy"; Y=$F/lang_test_y.npy
  else
    CAL=$F/digits_calib_x.npy; TEST=$F/digits_test_x.npy; Y=$F/digits_test_y.npy
  fi
  f=$($E eval $F/$m.onnx --data $TEST --labels $Y --json)
  fc=$(echo "$f" | json correct); n=$(echo "$f" | json n)
  IFS=';' read -ra VS <<< "$VARIANTS"
  for v in "${VS[@]}"; do
    name=${v%%:*}; flags=${v#*:}
    # shellcheck disable=SC2086
    $E calibrate $F/$m.onnx -o "$OUT/m.edgn" --data $CAL $flags > /dev/null 2>&1
    r=$($E eval "$OUT/m.edgn" --data $TEST --labels $Y --reference $F/$m.onnx --json)
    ic=$(echo "$r" | json correct); ag=$(echo "$r" | json agree)
    fold=$($E inspect "$OUT/m.edgn" --json | sed -n 's/.*"quant.prepbn_fold":"\([a-z]*\)".*/\1/p')
    [ -n "$fold" ] && [ "$fold" != none ] && name="$name, fold $fold"
    awk -v m="$m" -v v="$name" -v fc="$fc" -v ic="$ic" -v ag="$ag" -v n="$n" 'BEGIN {
      printf "| %s | %s | %.2f %% (%d) | %.2f %% (%d) | %+.2f | %.2f %% (%d) |\n", m, v, 100*fc/n, fc, 100*ic/n, ic, 100*(ic-fc)/n, 100*ag/n, ag }'
  done
done
