# The bundle part of the arm64 check (docs/arm64.md §3), sourced by scripts/arm64/check.sh, which provides
# ok/bad/step/run_logged, $qemu, $out, $logs, $fx and the binaries. Done-when of issue #6:
#   a bundle built here for linux-arm64 unpacks, its run.sh works under qemu (through EDGENORM_EXEC), its outputs
#   equal the x64 ones byte for byte, and `verify` (the arm64 binary, device-side) detects a modified byte (exit 1).
# bundle_check X64_BIN ARM64_BIN MODEL.edgn
bundle_check() {
  local x64="$1" arm="$2" model="$3"
  local dir="$out/bundle" name; name="$(basename "${model%.edgn}")"
  rm -rf "$dir"; mkdir -p "$dir/unpacked"
  local tgz="$dir/$name-linux-arm64.tar.gz" b="$dir/unpacked/$name-linux-arm64"

  if run_logged "$logs/bundle.log" "$x64" bundle "$model" --rid linux-arm64 --binary "$arm" -o "$tgz" &&
     tar -xzf "$tgz" -C "$dir/unpacked" && [ -x "$b/run.sh" ] && [ -x "$b/edgenorm" ] && [ -f "$b/manifest.json" ]; then
    ok "bundle: x64 edgenorm bundle --rid linux-arm64: $(stat -c %s "$tgz") B, unpacks to $(cd "$b" && ls | tr '\n' ' ')"
  else
    bad "bundle: edgenorm bundle / tar -xzf failed (log: ${logs#"$root"/}/bundle.log)"
    return
  fi

  # run.sh on the "board": the emulator goes in front of the binary through EDGENORM_EXEC.
  local cpu rc
  for cpu in max cortex-a72; do
    (cd "$dir" && EDGENORM_EXEC="$qemu --cpu $cpu --timeout 300" timeout 320 "$b/run.sh") >"$logs/bundle-run-verify-$cpu.log" 2>&1; rc=$?
    if [ $rc -eq 0 ] && grep -q 'reproduced bit-exactly' "$logs/bundle-run-verify-$cpu.log"; then
      ok "bundle: -cpu $cpu: run.sh (self-check: checksums + golden set) exit 0"
    else
      bad "bundle: -cpu $cpu: run.sh self-check exit $rc (log: ${logs#"$root"/}/bundle-run-verify-$cpu.log)"
    fi
  done
  (cd "$dir" && "$x64" run "$model" --input "$fx/digits_test_x.npy" --output "$dir/x64-logits.npy") >"$logs/bundle-x64-run.log" 2>&1
  (cd "$dir" && EDGENORM_EXEC="$qemu --cpu cortex-a72 --timeout 300" timeout 320 "$b/run.sh" run --input "$fx/digits_test_x.npy" \
     --output "$dir/arm64-logits.npy") >"$logs/bundle-run.log" 2>&1; rc=$?
  if [ $rc -eq 0 ] && [ -s "$dir/arm64-logits.npy" ] && cmp -s "$dir/x64-logits.npy" "$dir/arm64-logits.npy"; then
    ok "bundle: -cpu cortex-a72: run.sh run --input digits_test_x.npy: logits identical to x64 ($(stat -c %s "$dir/arm64-logits.npy") B)"
  else
    bad "bundle: run.sh run under qemu: exit $rc, logits $(cmp "$dir/x64-logits.npy" "$dir/arm64-logits.npy" 2>&1 | head -1) (log: ${logs#"$root"/}/bundle-run.log)"
  fi

  # Device-side verify of the archive and the folder, then of a copy with one byte of the model flipped.
  "$qemu" --cpu cortex-a72 --timeout 300 "$arm" verify "$tgz" >"$logs/bundle-verify.log" 2>&1; rc=$?
  if [ $rc -eq 0 ] && grep -q 'files match the manifest' "$logs/bundle-verify.log"; then ok "bundle: arm64 verify $(basename "$tgz"): exit 0"
  else bad "bundle: arm64 verify of the intact bundle: exit $rc (log: ${logs#"$root"/}/bundle-verify.log)"; fi

  local t="$dir/tampered/$name-linux-arm64" size off err
  mkdir -p "$dir/tampered" && cp -a "$b" "$dir/tampered/"
  size=$(stat -c %s "$t/$name.edgn"); off=$((size / 2))
  printf "$(printf '\\%03o' $(( ($(od -An -tu1 -j $off -N1 "$t/$name.edgn") ^ 1) )))" |
    dd of="$t/$name.edgn" bs=1 seek=$off conv=notrunc status=none
  cmp -s "$b/$name.edgn" "$t/$name.edgn" && bad "bundle: could not modify the copy of the model"
  tar -czf "$dir/tampered.tar.gz" -C "$dir/tampered" "$name-linux-arm64"
  for target in "$t" "$dir/tampered.tar.gz"; do
    err=$("$qemu" --cpu cortex-a72 --timeout 300 "$arm" verify "$target" 2>&1 >/dev/null); rc=$?
    if [ $rc -eq 1 ] && grep -q "$name.edgn: sha256 mismatch" <<<"$err"; then
      ok "bundle: arm64 verify $(basename "$target") with byte $off of the model flipped: exit 1, \"$(head -1 <<<"$err" | cut -c1-110)\""
    else
      bad "bundle: arm64 verify of a modified bundle ($(basename "$target")): exit $rc (expected 1), stderr: $(head -1 <<<"$err")"
    fi
  done
}
