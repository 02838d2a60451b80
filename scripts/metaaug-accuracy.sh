#!/usr/bin/env bash
# MetaAug vs the data calibrators with 32 calibration samples (docs/accuracy.md, "MetaAug"): for each fixture, each
# seed s (the seeded subset `--samples 32 --seed s`) and each method, calibrate, evaluate on the 3,573 held-out
# samples against the labels and the float model, and print one line per run, then one markdown row per
# (fixture, method): mean ± half the range over the seeds of correct top-1 and agreement with float.
# Usage: scripts/metaaug-accuracy.sh [EDGENORM] [fixture…]   (EDGENORM: the edgenorm command; default `edgenorm`;
# fixtures: default the three digits ViTs)
# SEEDS="1 2 3", METHODS="minmax percentile entropy mse metaaug", METAAUG_FLAGS="" (e.g. "--metaaug-iters 500").
# CPU-heavy: MetaAug takes minutes per run; the other methods seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
E=${1:-edgenorm}; shift || true
FIXTURES=${*:-vit_prepbn vit_l1 vit_ln_op17}
SEEDS=${SEEDS:-1 2 3}
METHODS=${METHODS:-minmax percentile entropy mse metaaug}
F=tests/fixtures
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
json() { sed -n "s/.*\"$1\":\([0-9.e-]*\).*/\1/p"; }
RUNS="$OUT/runs.txt"
for m in $FIXTURES; do
  for s in $SEEDS; do
    for method in $METHODS; do
      if [ "$method" = metaaug ]; then flags="--metaaug ${METAAUG_FLAGS:-}"; else flags="--method $method"; fi
      start=$(date +%s)
      # shellcheck disable=SC2086
      $E calibrate $F/$m.onnx -o "$OUT/m.edgn" --data $F/digits_calib_x.npy --samples 32 --seed "$s" $flags > /dev/null 2> "$OUT/err.txt" \
        || { cat "$OUT/err.txt" >&2; exit 1; }
      took=$(( $(date +%s) - start ))
      r=$($E eval "$OUT/m.edgn" --data $F/digits_test_x.npy --labels $F/digits_test_y.npy --reference $F/$m.onnx --json)
      ic=$(echo "$r" | json correct); ag=$(echo "$r" | json agree); n=$(echo "$r" | json n)
      echo "$m $method seed $s: correct $ic/$n agreement $ag/$n calibrate ${took}s" | tee -a "$RUNS" >&2
    done
  done
done
echo "| fixture | method | correct of 3,573 (mean ± half range; per seed) | agreement with float (mean ± half range) |"
echo "|---|---|---|---|"
awk '{ key=$1" "$2; split($6, c, "/"); split($8, a, "/");
       n[key]++; sc[key]+=c[1]; sa[key]+=a[1]; list[key]=list[key] (n[key]>1?", ":"") c[1];
       if (n[key]==1 || c[1]<lc[key]) lc[key]=c[1]; if (n[key]==1 || c[1]>hc[key]) hc[key]=c[1];
       if (n[key]==1 || a[1]<la[key]) la[key]=a[1]; if (n[key]==1 || a[1]>ha[key]) ha[key]=a[1];
       if (!(key in seen)) { seen[key]=1; order[++k]=key } }
     END { for (i=1; i<=k; i++) { key=order[i]; split(key, p, " ");
       printf "| %s | %s | %.1f ± %.1f (%s) | %.1f ± %.1f |\n", p[1], p[2], sc[key]/n[key], (hc[key]-lc[key])/2, list[key], sa[key]/n[key], (ha[key]-la[key])/2 } }' "$RUNS"
