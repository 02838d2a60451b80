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
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$total" -eq 0 ]; then
  echo "tests: FAILED (dotnet test exit code $rc)" >&2
  exit 1
fi
