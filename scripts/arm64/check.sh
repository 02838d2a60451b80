#!/usr/bin/env bash
# The arm64 check (docs/arm64.md): cross-builds edgenorm for linux-arm64 with NativeAOT and runs it, and the
# xunit suites that matter on a board, under qemu-aarch64 on this x64 machine, with a CPU that has dotprod
# (-cpu max) and one that has not (-cpu cortex-a72, a Raspberry Pi 4). scripts/test.sh runs it after the
# x64 tests; it also runs alone:
#
#   bash scripts/arm64/check.sh           (needs the packages of scripts/setup.sh; 4-6 min on 2 cores)
#
# Steps: arm64 OpenSSL for the guest (guest-libs.sh); publish edgenorm (profiles linux-x64, linux-arm64,
# linux-arm64-dotprod); model files from the x64 side (make-model/ and `edgenorm calibrate` on the ViT
# fixture); `info --json` under each CPU; inspect / verify / run / eval on arm64 vs x64: same exit code,
# stdout, stderr and written files, byte for byte; a linux-arm64 bundle, its run.sh under qemu and verify
# on a modified copy (bundle-check.sh); publish the test projects self-contained for
# linux-arm64; run them under qemu.
# Everything goes to out/arm64-check/ (ARM64_OUT overrides; its builds use their own --artifacts-path,
# so the developer's bin/ and obj/ are not touched). The last line is
#   arm64 (qemu): N passed, N failed, N skipped
# (checks plus xunit tests) and the same counts go to out/arm64-check/summary.env for scripts/test.sh.
# Exit 0 only when nothing failed.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

out="${ARM64_OUT:-$root/out/arm64-check}"
mkdir -p "$out" && out="$(cd "$out" && pwd)"     # absolute: the steps below cd around
art="$out/artifacts"
logs="$out/logs"
qemu="$root/scripts/arm64/qemu.sh"
export ARM64_GUEST_LIBS="$out/guest-root/usr/lib/aarch64-linux-gnu"

# The xunit projects run on arm64, and the CPU models each runs under.
declare -A TEST_CPUS=(
  [EdgeNorm.Model.Tests]="max"                    # format / npy: no ISA-specific code
  [EdgeNorm.Runtime.Tests]="max cortex-a72"       # integer kernels: dotprod and NEON-only paths
)
TEST_ORDER=(EdgeNorm.Model.Tests EdgeNorm.Runtime.Tests)

# Known issues: a check whose id is listed here is reported as XFAIL (counted as skipped) while it fails,
# and as a failure ("XPASS") once it passes, so whoever fixes it removes the id in the same change.
# (info-features, fixed: CpuFeatures now reads AT_HWCAP/AT_HWCAP2 from /proc/self/auxv on arm64.)
KNOWN_ISSUES=()

passed=0; failed=0; skipped=0
declare -a timings=()
rm -rf "$logs" "$out/results" "$out/model" "$out/compare"
mkdir -p "$logs" "$out/results"

ok()   { passed=$((passed + 1)); echo "  PASS  $*"; }
bad()  { failed=$((failed + 1)); echo "  FAIL  $*"; }
known() { local id="$1"; local i; for i in "${KNOWN_ISSUES[@]}"; do [ "$i" = "$id" ] && return 0; done; return 1; }
# expect ID RESULT DESCRIPTION: RESULT 0 = the check holds.
expect() {
  local id="$1" res="$2"; shift 2
  if known "$id"; then
    if [ "$res" -eq 0 ]; then bad "XPASS [$id] $* -- now fixed: remove '$id' from KNOWN_ISSUES in scripts/arm64/check.sh"
    else skipped=$((skipped + 1)); echo "  XFAIL [$id] $* (known issue, see KNOWN_ISSUES)"; fi
  elif [ "$res" -eq 0 ]; then ok "$*"
  else bad "$*"; fi
}
step_start=0; step_name=""
step() { step_end; step_name="$*"; step_start=$(date +%s); echo "== arm64: $*"; }
step_end() {
  if [ -n "$step_name" ]; then timings+=("$(printf '%4ss  %s' $(( $(date +%s) - step_start )) "$step_name")"); fi
  step_name=""
}
t0=$(date +%s)
# run_logged LOG CMD...: runs quietly; on failure shows the log's tail.
run_logged() {
  local log="$1"; shift
  "$@" >"$log" 2>&1 && return 0
  local rc=$?
  echo "  ($* -> exit $rc; last lines of $log:)"
  grep -E 'error|Error|ERROR' "$log" | head -10 | sed 's/^/    /'
  tail -15 "$log" | sed 's/^/    /'
  return $rc
}
finish() {
  step_end
  echo "== arm64: timings"
  local t; for t in "${timings[@]}"; do echo "  $t"; done
  echo "  $(printf '%4ss' $(( $(date +%s) - t0 )))  total"
  printf 'ARM64_PASSED=%d\nARM64_FAILED=%d\nARM64_SKIPPED=%d\n' "$passed" "$failed" "$skipped" >"$out/summary.env"
  echo "arm64 (qemu): ${passed} passed, ${failed} failed, ${skipped} skipped"
  [ "$failed" -eq 0 ]
  exit $?
}

# ---------------------------------------------------------------------------------------------------
step "prerequisites"
missing=()
command -v qemu-aarch64 >/dev/null || missing+=(qemu-aarch64)
command -v clang >/dev/null || missing+=(clang)
command -v aarch64-linux-gnu-ld.bfd >/dev/null || missing+=(aarch64-linux-gnu-ld.bfd)
[ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] || missing+=(/usr/aarch64-linux-gnu/lib/libc.so.6)
if [ ${#missing[@]} -gt 0 ]; then
  bad "cross toolchain / qemu missing (${missing[*]}): run scripts/setup.sh"
  finish
fi
ok "clang, aarch64 binutils + cross libc, $(qemu-aarch64 --version | head -1)"

# ---------------------------------------------------------------------------------------------------
step "guest OpenSSL (arm64 libssl3 for the xunit runner)"
if run_logged "$logs/guest-libs.log" bash scripts/arm64/guest-libs.sh "$out/guest-root"; then
  ok "arm64 libssl.so.3 in ${out#"$root"/}/guest-root"
else
  bad "could not fetch the arm64 libssl3 (scripts/arm64/guest-libs.sh); the xunit runs will abort"
fi

# ---------------------------------------------------------------------------------------------------
step "publish edgenorm (NativeAOT: linux-x64, linux-arm64, linux-arm64-dotprod)"
declare -A BIN=()
for prof in linux-x64 linux-arm64 linux-arm64-dotprod; do
  dir="$out/bin/$prof"
  rm -rf "$dir"
  s=$(date +%s)
  if run_logged "$logs/publish-$prof.log" dotnet publish src/EdgeNorm.Cli -p:PublishProfile="$prof" \
       --artifacts-path "$art" -p:PublishDir="$dir/" && [ -x "$dir/edgenorm" ]; then
    BIN[$prof]="$dir/edgenorm"
    size=$(stat -c %s "$dir/edgenorm")
    ok "$prof: $(file -b "$dir/edgenorm" | cut -d, -f1-2), $(awk -v b="$size" 'BEGIN{printf "%.2f MB", b/1048576}') ($size bytes), $(( $(date +%s) - s ))s"
  else
    bad "$prof: dotnet publish -p:PublishProfile=$prof failed"
  fi
done

# ---------------------------------------------------------------------------------------------------
step "model files from the x64 side (make-model; edgenorm calibrate)"
fx="$root/tests/fixtures"
synthetic_ok=0; calibrated_ok=0
if run_logged "$logs/make-model.log" dotnet run --project scripts/arm64/make-model -c Release \
     --artifacts-path "$art" -- "$out/model"; then
  synthetic_ok=1
  ok "$(tail -1 "$logs/make-model.log")"
else
  bad "make-model failed"
fi
# An executable integer model, calibrated on the workstation side (x64) as a user would.
if [ -n "${BIN[linux-x64]:-}" ] && run_logged "$logs/calibrate.log" "${BIN[linux-x64]}" calibrate \
     "$fx/vit_prepbn.onnx" -o "$out/model/vit_prepbn.edgn" --data "$fx/digits_calib_x.npy"; then
  calibrated_ok=1
  ok "x64 edgenorm calibrate vit_prepbn.onnx: $(tail -1 "$logs/calibrate.log")"
else
  bad "x64 edgenorm calibrate tests/fixtures/vit_prepbn.onnx failed (log: ${logs#"$root"/}/calibrate.log)"
fi

# ---------------------------------------------------------------------------------------------------
step "edgenorm info --json under qemu"
json_list() { grep -o "\"$2\":\[[^]]*\]" <<<"$1" | head -1; }   # json_list JSON KEY -> "KEY":[...]
has() { grep -q "\"$2\"" <<<"$1"; }                              # has LIST ITEM
if [ -n "${BIN[linux-arm64]:-}" ]; then
  for cpu in max cortex-a72; do
    j=$("$qemu" --cpu "$cpu" --timeout 60 "${BIN[linux-arm64]}" info --json 2>"$logs/info-$cpu.err"); rc=$?
    echo "$j" >"$out/results/info-$cpu.json"
    paths=$(json_list "$j" binary_paths); feats=$(json_list "$j" features)
    if [ "$cpu" = max ]; then want_dp=0; else want_dp=1; fi   # 0: dotprod expected
    res=1
    if [ $rc -eq 0 ] && grep -q '"arch":"arm64"' <<<"$j" && grep -q '"native_aot":true' <<<"$j" && has "$paths" neon; then
      if [ $want_dp -eq 0 ]; then has "$paths" neon-dotprod && res=0; else has "$paths" neon-dotprod || res=0; fi
    fi
    expect "info-$cpu" $res "-cpu $cpu: exit $rc, arch arm64, NativeAOT, $paths"
    res=1
    if has "$feats" asimd; then
      if [ $want_dp -eq 0 ]; then has "$feats" asimddp && res=0; else has "$feats" asimddp || res=0; fi
    fi
    src=$(grep -o '"features_source":"[^"]*"' <<<"$j")
    expect info-features $res "-cpu $cpu: features list asimd$([ $want_dp -eq 0 ] && echo ' and asimddp' || echo ', no asimddp') ($src, $(wc -w <<<"${feats//,/ }") entries, e.g. ${feats:0:60}...)"
  done
  # The dotprod profile requires armv8.2-a + dotprod: it must run under max and refuse cortex-a72.
  if [ -n "${BIN[linux-arm64-dotprod]:-}" ]; then
    j=$("$qemu" --cpu max --timeout 60 "${BIN[linux-arm64-dotprod]}" info --json 2>/dev/null); rc=$?
    res=1; [ $rc -eq 0 ] && has "$(json_list "$j" binary_paths)" neon-dotprod && res=0
    expect dotprod-max $res "linux-arm64-dotprod under -cpu max: exit $rc, $(json_list "$j" binary_paths)"
    e=$("$qemu" --cpu cortex-a72 --timeout 60 "${BIN[linux-arm64-dotprod]}" info --json 2>&1 >/dev/null); rc=$?
    res=1; [ $rc -ne 0 ] && grep -q 'required instruction sets are not supported' <<<"$e" && res=0
    msg=$(grep -m1 -v '^\s*$' <<<"$e")
    expect dotprod-a72 $res "linux-arm64-dotprod under -cpu cortex-a72 refuses to start: exit $rc, \"$msg\""
  fi
else
  bad "info: no linux-arm64 binary"
fi

# ---------------------------------------------------------------------------------------------------
step "inspect / verify / run / eval: arm64 (qemu) vs x64, byte for byte"
# Each case runs in its own empty folder per side, with the same relative model paths (the CLI prints the
# paths it was given): exit code, stdout, stderr and every file written (run --output) must be identical.
# "command|exit code expected|text stderr must contain (optional)"; m/ is the folder of the model files.
cases=()
if [ $synthetic_ok -eq 1 ]; then
  cases+=("inspect m/model.edgn --json|0" "inspect m/model.edgn|0" "verify m/model.edgn|0"
          "verify m/corrupt.edgn|1|checksum mismatch: tensor fc2.b" "verify m/truncated.edgn|2|file is truncated")
fi
if [ $calibrated_ok -eq 1 ]; then
  cases+=("inspect m/vit_prepbn.edgn --json|0"
          "verify m/vit_prepbn.edgn|0"                                                 # golden set, integer executor
          "run m/vit_prepbn.edgn --input $fx/digits_test_x.npy --output logits.npy|0"  # 3,573 rows of logits
          "eval m/vit_prepbn.edgn --data $fx/digits_test_x.npy --labels $fx/digits_test_y.npy --json|0")
fi
if [ -n "${BIN[linux-arm64]:-}" ] && [ -n "${BIN[linux-x64]:-}" ] && [ ${#cases[@]} -gt 0 ]; then
  work="$out/compare"; rm -rf "$work"
  i=0
  for c in "${cases[@]}"; do
    i=$((i + 1)); IFS='|' read -r cmd want expect_err <<<"$c"; show="${cmd//$fx\//}"; show="${show//m\//}"
    mkdir -p "$work/x64/$i"
    (cd "$work/x64/$i" && ln -s "$out/model" m && "${BIN[linux-x64]}" $cmd >"$work/x64/$i.out" 2>"$work/x64/$i.err"); xr=$?
    for cpu in max cortex-a72; do
      mkdir -p "$work/$cpu/$i"
      (cd "$work/$cpu/$i" && ln -s "$out/model" m && "$qemu" --cpu "$cpu" --timeout 300 "${BIN[linux-arm64]}" $cmd \
         >"$work/$cpu/$i.out" 2>"$work/$cpu/$i.err"); ar=$?
      why=()
      [ "$xr" -eq "$want" ] || why+=("x64 exit $xr, expected $want")
      [ "$ar" -eq "$xr" ] || why+=("arm64 exit $ar != x64 exit $xr")
      cmp -s "$work/x64/$i.out" "$work/$cpu/$i.out" || why+=("stdout differs")
      cmp -s "$work/x64/$i.err" "$work/$cpu/$i.err" || why+=("stderr differs")
      diff -rq --no-dereference "$work/x64/$i" "$work/$cpu/$i" >/dev/null || why+=("written files differ")
      [ "$want" -eq 0 ] && [ ! -s "$work/x64/$i.out" ] && why+=("empty stdout")
      [ -n "$expect_err" ] && ! grep -qF "$expect_err" "$work/x64/$i.err" && why+=("x64 stderr lacks '$expect_err'")
      files=$(cd "$work/$cpu/$i" && find . -type f -printf ', %f %s B' 2>/dev/null)   # (m is a link, not listed)
      if [ ${#why[@]} -eq 0 ]; then
        ok "-cpu $cpu: edgenorm $show: exit $ar; $(wc -c <"$work/$cpu/$i.out") B stdout, $(wc -c <"$work/$cpu/$i.err") B stderr$files identical"
      else
        bad "-cpu $cpu: edgenorm $show: $(printf '%s; ' "${why[@]}")(outputs in ${work#"$root"/}/{x64,$cpu}/$i*)"
        diff <(cat "$work/x64/$i.out" "$work/x64/$i.err") <(cat "$work/$cpu/$i.out" "$work/$cpu/$i.err") | head -8 | sed 's/^/    /'
      fi
    done
  done
else
  bad "x64 vs arm64 comparison not run (a publish, make-model or calibrate failed)"
fi

# ---------------------------------------------------------------------------------------------------
step "bundle for linux-arm64: unpack, run.sh under qemu, verify detects a modified byte"
. "$root/scripts/arm64/bundle-check.sh"
if [ -n "${BIN[linux-arm64]:-}" ] && [ -n "${BIN[linux-x64]:-}" ] && [ $calibrated_ok -eq 1 ]; then
  bundle_check "${BIN[linux-x64]}" "${BIN[linux-arm64]}" "$out/model/vit_prepbn.edgn"
else
  bad "bundle check not run (a publish or calibrate failed)"
fi

# ---------------------------------------------------------------------------------------------------
step "publish test projects self-contained for linux-arm64"
declare -A TEST_EXE=()
for p in "${TEST_ORDER[@]}"; do
  if [ ! -f "tests/$p/$p.csproj" ]; then
    bad "$p: tests/$p/$p.csproj not found"
    continue
  fi
  dir="$out/tests/$p"; rm -rf "$dir"
  s=$(date +%s)
  if run_logged "$logs/publish-$p.log" dotnet publish "tests/$p" -c Release -r linux-arm64 --self-contained \
       -p:InvariantGlobalization=true --artifacts-path "$art" -o "$dir" && [ -x "$dir/$p" ]; then
    TEST_EXE[$p]="$dir/$p"
    ok "$p: $(du -sm "$dir" | cut -f1) MB, $(( $(date +%s) - s ))s"
  else
    bad "$p: dotnet publish -r linux-arm64 --self-contained failed"
  fi
done

# ---------------------------------------------------------------------------------------------------
step "xunit suites under qemu"
attr() { grep -o "<assembly [^>]*>" "$1" | head -1 | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9]*'; }
for p in "${TEST_ORDER[@]}"; do
  [ -n "${TEST_EXE[$p]:-}" ] || continue
  for cpu in ${TEST_CPUS[$p]}; do
    xml="$out/results/$p.$cpu.xml"; log="$logs/$p.$cpu.log"
    s=$(date +%s)
    # cwd = the publish folder, like `dotnet test`; -noColor: plain log; -xml: the counts.
    (cd "$(dirname "${TEST_EXE[$p]}")" && "$qemu" --cpu "$cpu" --timeout 1200 "${TEST_EXE[$p]}" -noColor -xml "$xml") >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - s ))
    if [ -s "$xml" ] && [ -n "$(attr "$xml" total)" ]; then
      t=$(attr "$xml" total); pa=$(attr "$xml" passed); f=$(attr "$xml" failed); e=$(attr "$xml" errors)
      sk=$(attr "$xml" skipped); nr=$(attr "$xml" not-run)
      passed=$((passed + pa)); failed=$((failed + f + e)); skipped=$((skipped + sk + nr))
      line="$p -cpu $cpu: $pa passed, $f failed, $e errors, $sk skipped, $nr not run (total $t), exit $rc, ${secs}s"
      if [ "$f" -eq 0 ] && [ "$e" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$t" -gt 0 ]; then
        echo "  PASS  $line"
      else
        echo "  FAIL  $line"
        [ "$f" -eq 0 ] && [ "$e" -eq 0 ] && failed=$((failed + 1))   # exit code or empty run: count one
        grep -E '\[FAIL\]' "$log" | head -20 | sed 's/^/    /'
      fi
    else
      bad "$p -cpu $cpu: no results (exit $rc after ${secs}s$([ $rc -eq 124 ] && echo ': timed out')); last lines of ${log#"$root"/}:"
      grep -vE '^\s+at ' "$log" | tail -8 | sed 's/^/    /'
    fi
  done
done

finish
