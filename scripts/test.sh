#!/usr/bin/env bash
# The test command (README, CI): set-up, then every test project of the solution. Ends with one
# summary line "tests: N passed, N failed, N skipped"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log=$(mktemp)
dotnet test --solution EdgeNorm.sln -c Release --no-restore 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

sum() { grep -E "^\s+$1: [0-9]+" "$log" | tail -1 | grep -oE '[0-9]+' || echo 0; }
total=$(sum total); failed=$(sum failed); passed=$(sum succeeded); skipped=$(sum skipped)
rm -f "$log"

# ---- arm64: NativeAOT cross-build + qemu (scripts/arm64/check.sh, docs/arm64.md) -------------------------
# Runs after the x64 tests whatever their result. Its counts (checks + the xunit suites run under qemu) are
# added into the summary line below; its own line "arm64 (qemu): ..." comes first. EDGENORM_ARM64=0 skips
# it on a developer machine (~4-6 min on 2 cores); CI always runs it.
arm64_rc=0
if [ "${EDGENORM_ARM64:-1}" = "0" ] && [ "${CI:-}" != "true" ]; then
  echo "arm64 (qemu): skipped (EDGENORM_ARM64=0)"
else
  arm64_summary="${ARM64_OUT:-out/arm64-check}/summary.env"
  rm -f "$arm64_summary"
  bash scripts/arm64/check.sh
  arm64_rc=$?
  ARM64_PASSED=0; ARM64_FAILED=0; ARM64_SKIPPED=0
  [ -f "$arm64_summary" ] && . "$arm64_summary"
  [ "$arm64_rc" -ne 0 ] && [ "$ARM64_FAILED" -eq 0 ] && ARM64_FAILED=1   # died before counting
  passed=$((passed + ARM64_PASSED)); failed=$((failed + ARM64_FAILED)); skipped=$((skipped + ARM64_SKIPPED))
fi
# ---- end arm64 --------------------------------------------------------------------------------------------

# ---- fuzz: AFL++ + SharpFuzz on both loaders (scripts/fuzz.sh, docs/reliability.md) -------------------------------
# A bounded run per target with a fixed seed; each target counts as one check in the summary line (a crash or hang
# fails it). EDGENORM_FUZZ=0 skips it on a developer machine; CI always runs it. FUZZ_SECONDS sets the time per target.
fuzz_rc=0
if [ "${EDGENORM_FUZZ:-1}" = "0" ] && [ "${CI:-}" != "true" ]; then
  echo "fuzz: skipped (EDGENORM_FUZZ=0)"
else
  # FUZZ_TARGETS (default both) picks the targets, e.g. FUZZ_TARGETS=edgn.
  for target in ${FUZZ_TARGETS:-edgn onnx}; do
    if bash scripts/fuzz.sh "$target" "${FUZZ_SECONDS:-90}"; then passed=$((passed + 1)); else failed=$((failed + 1)); fuzz_rc=1; fi
  done
fi
# ---- end fuzz ---------------------------------------------------------------------------------------------

echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$total" -eq 0 ] || [ "$arm64_rc" -ne 0 ] || [ "$fuzz_rc" -ne 0 ]; then
  echo "tests: FAILED (dotnet test exit code $rc, arm64 check exit code $arm64_rc, fuzz exit code $fuzz_rc)" >&2
  exit 1
fi
