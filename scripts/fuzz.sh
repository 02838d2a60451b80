#!/usr/bin/env bash
# Fuzz one loader with AFL++ + SharpFuzz (docs/reliability.md).
#   scripts/fuzz.sh TARGET SECONDS      TARGET = edgn | onnx. Builds tests/Fuzz/EdgeNorm.Fuzz, instruments our
#                                       assemblies with sharpfuzz, runs afl-fuzz on tests/Fuzz/corpus/TARGET with a
#                                       fixed seed for SECONDS; prints "fuzz TARGET: N executions ..."; exits 1 on
#                                       any crash or hang (the inputs are left in $FUZZ_OUT/TARGET/default/crashes).
#   scripts/fuzz.sh replay TARGET FILE… runs inputs once, uninstrumented (triage; a crash prints its stack trace).
#   scripts/fuzz.sh seeds               rebuilds the .edgn seeds from tests/Fuzz/corpus/onnx with edgenorm calibrate.
# Environment: FUZZ_OUT (default /tmp/edgenorm-fuzz), FUZZ_SEED (default 1), FUZZ_TIMEOUT_MS (default 2000),
#              FUZZ_HEAP_LIMIT (the harness's GC heap hard limit, default 0x100000000 = 4 GiB).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

OUT="${FUZZ_OUT:-/tmp/edgenorm-fuzz}"
HARNESS=tests/Fuzz/EdgeNorm.Fuzz/EdgeNorm.Fuzz.csproj
usage() { echo "usage: scripts/fuzz.sh edgn|onnx SECONDS | replay edgn|onnx FILE... | seeds" >&2; exit 2; }

# Assemblies whose code AFL sees (branch coverage); everything else runs uninstrumented.
instrumented() {
  case "$1" in
    edgn) echo EdgeNorm.Model.dll EdgeNorm.Runtime.dll ;;
    onnx) echo EdgeNorm.Model.dll EdgeNorm.Onnx.dll EdgeNorm.Calibration.dll ;;
    *) usage ;;
  esac
}

publish() { # $1 = output folder
  dotnet publish "$HARNESS" -c Release -o "$1" --artifacts-path "$OUT/artifacts" --verbosity quiet -nologo >/dev/null
}

case "${1:-}" in
  seeds)
    data=tests/Fuzz/seed-data
    [ -f "$data/calib_x.npy" ] || { echo "fuzz: run /usr/bin/python3 tests/Fuzz/make_seeds.py first" >&2; exit 2; }
    dotnet build src/EdgeNorm.Cli -c Release --artifacts-path "$OUT/artifacts" --verbosity quiet -nologo >/dev/null
    for m in tests/Fuzz/corpus/onnx/tiny_vit_*.onnx; do
      dotnet "$OUT/artifacts/bin/EdgeNorm.Cli/release/edgenorm.dll" \
        calibrate "$m" -o "tests/Fuzz/corpus/edgn/$(basename "$m" .onnx).edgn" --data "$data/calib_x.npy"
    done
    ls -l tests/Fuzz/corpus/edgn
    exit 0 ;;
  replay)
    [ $# -ge 3 ] || usage
    instrumented "$2" >/dev/null
    publish "$OUT/replay"
    exec dotnet "$OUT/replay/EdgeNorm.Fuzz.dll" "$2" --replay "${@:3}" ;;
esac

TARGET="${1:-}"; SECONDS_TO_RUN="${2:-}"
[ -n "$TARGET" ] && [[ "$SECONDS_TO_RUN" =~ ^[0-9]+$ ]] || usage
DLLS=$(instrumented "$TARGET")
command -v afl-fuzz >/dev/null || { echo "fuzz: afl-fuzz not found (Debian package afl++; scripts/setup.sh installs it)" >&2; exit 2; }

bin="$OUT/$TARGET/bin"; findings="$OUT/$TARGET/findings"
rm -rf "$bin" "$findings"; mkdir -p "$bin"
dotnet tool restore >/dev/null
publish "$bin"
for dll in $DLLS; do dotnet sharpfuzz "$bin/$dll" >/dev/null; done

# The harness is a managed program started by `dotnet`: skip AFL's binary check; no CPU governor or core-dump
# tuning on shared machines; the first (forkserver) start includes .NET start-up.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
       AFL_NO_UI=1 AFL_FORKSRV_INIT_TMOUT=60000 AFL_QUIET=1
# SharpFuzz's fork server is the .NET process itself (it reports its own pid), so an input that runs past -t gets the
# whole process killed and afl-fuzz aborts with "Unable to communicate with fork server" instead of saving a hang;
# the input it was running is then still in .cur_input (AFL feeds the harness's stdin from that file), kept below.
# A heap hard limit (FUZZ_HEAP_LIMIT, default 4 GiB: above the largest arena a valid .edgn may ask for, Array.MaxLength
# bytes — docs/security.md; the seeds need < 100 MiB) turns unbounded allocation into an
# OutOfMemoryException — a saved crash — rather than swapping or an OOM kill of the same kind.
DOTNET_GCHeapHardLimit="${FUZZ_HEAP_LIMIT:-0x100000000}" \
afl-fuzz -i "tests/Fuzz/corpus/$TARGET" -o "$findings" -s "${FUZZ_SEED:-1}" -V "$SECONDS_TO_RUN" \
  -t "${FUZZ_TIMEOUT_MS:-2000}" -m none -- dotnet "$bin/EdgeNorm.Fuzz.dll" "$TARGET" > "$OUT/$TARGET/afl.log" 2>&1 || {
  tail -20 "$OUT/$TARGET/afl.log" >&2
  if [ -f "$findings/default/.cur_input" ] && grep -q "Unable to communicate with fork server" "$OUT/$TARGET/afl.log"; then
    cp "$findings/default/.cur_input" "$OUT/$TARGET/killed-by-input"
    echo "fuzz $TARGET: the harness process died or hung (over ${FUZZ_TIMEOUT_MS:-2000} ms) on $OUT/$TARGET/killed-by-input;" \
      "triage: scripts/fuzz.sh replay $TARGET $OUT/$TARGET/killed-by-input" >&2
  fi
  echo "fuzz $TARGET: afl-fuzz failed (log: $OUT/$TARGET/afl.log)" >&2; exit 1; }

stats="$findings/default/fuzzer_stats"
stat() { grep -E "^$1 " "$stats" | awk -F: '{gsub(/ /, "", $2); print $2}'; }
execs=$(stat execs_done); crashes=$(stat saved_crashes); hangs=$(stat saved_hangs); paths=$(stat corpus_count)
echo "fuzz $TARGET: $execs executions in $SECONDS_TO_RUN s ($(stat execs_per_sec)/s), corpus $paths, $crashes crashes, $hangs hangs"
if [ "${crashes:-1}" != "0" ] || [ "${hangs:-1}" != "0" ]; then
  echo "fuzz $TARGET: FAILED — inputs in $findings/default/crashes and hangs; triage: scripts/fuzz.sh replay $TARGET FILE" >&2
  exit 1
fi
