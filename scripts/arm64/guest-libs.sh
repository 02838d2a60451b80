#!/usr/bin/env bash
# Puts an arm64 OpenSSL (libssl.so.3, libcrypto.so.3) into DIR/usr/lib/aarch64-linux-gnu for programs run
# under qemu (scripts/arm64/qemu.sh picks it up from out/arm64-check/guest-root).
#
#   scripts/arm64/guest-libs.sh [DIR]        (default out/arm64-check/guest-root; a no-op when already there)
#
# Why: the xunit v3 runner inside the arm64 test executables computes test IDs with SHA-256, which .NET on
# Linux always takes from OpenSSL; without an arm64 libssl the runner aborts with "No usable version of
# libssl was found". Debian has no *-arm64-cross package of it, and enabling multiarch
# (dpkg --add-architecture arm64 + libssl3:arm64) would change the machine and install libc6:arm64 (the
# glibc-mixing hang in docs/arm64.md). So this asks apt, with a private state folder and arm64 as the only
# architecture, for Debian's libssl3 .deb and unpacks it: the system's apt state and dpkg are not touched,
# no root is needed. The edgenorm binary itself does not use OpenSSL.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="${1:-$root/out/arm64-check/guest-root}"
libdir="$dest/usr/lib/aarch64-linux-gnu"

if [ -e "$libdir/libssl.so.3" ] && [ -e "$libdir/libcrypto.so.3" ]; then
  exit 0
fi

state="$(dirname "$dest")/apt-arm64"
rm -rf "$state"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/deb"
apt_opts=(
  -o APT::Architecture=arm64 -o APT::Architectures=arm64
  -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o Dir::State::status=/dev/null
  -o Debug::NoLocking=1 -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
  -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
  -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
  -o APT::Sandbox::User=root -qq
)
if ! apt-get "${apt_opts[@]}" update >"$state/update.log" 2>&1; then
  echo "guest-libs: 'apt-get update' for arm64 failed:" >&2
  tail -5 "$state/update.log" >&2
  exit 1
fi
(cd "$state/deb" && apt-get "${apt_opts[@]}" download libssl3) >"$state/download.log" 2>&1 || {
  echo "guest-libs: 'apt-get download libssl3' (arm64) failed:" >&2
  tail -5 "$state/download.log" >&2
  exit 1
}
deb=$(ls "$state/deb"/libssl3_*_arm64.deb)
mkdir -p "$dest"
dpkg-deb -x "$deb" "$dest"
[ -e "$libdir/libssl.so.3" ] || { echo "guest-libs: $deb has no usr/lib/aarch64-linux-gnu/libssl.so.3" >&2; exit 1; }
echo "guest-libs: $(basename "$deb") unpacked into $dest"
rm -rf "$state/lists" "$state/cache"
