#!/usr/bin/env bash
# Runs a linux-arm64 executable on this x64 machine under qemu-aarch64 (user mode), with the recipe
# that works here (docs/arm64.md "Running under qemu"):
#
#   scripts/arm64/qemu.sh [--cpu MODEL] [--timeout SECONDS] EXE [ARGS...]
#
#   --cpu      qemu CPU model: max (default: NEON + dotprod + i8mm + SVE...), cortex-a72 (NEON only, like a
#              Raspberry Pi 4), cortex-a76 / neoverse-n1 (NEON + dotprod, like a Pi 5), cortex-a53.
#   --timeout  kill the guest after SECONDS (default 600). Every run is wrapped in timeout(1): a guest
#              that mixes two glibc builds does not crash, it spins forever.
#
# What the options below are for:
#   -L /usr/aarch64-linux-gnu           guest paths (/lib/ld-linux-aarch64.so.1, libc) resolve in the cross sysroot
#   LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib
#                                       ...and ONLY there: with multiarch libc6:arm64 installed the guest's
#                                       ld.so otherwise loads the other libc.so.6 and hangs in pthread_create
#   + out/arm64-check/guest-root/...    an arm64 libssl/libcrypto (scripts/arm64/guest-libs.sh) for the xunit
#                                       runner, which hashes test IDs with SHA-256 through OpenSSL
#   DOTNET_EnableWriteXorExecute=0      the JIT writes code through a second (RW) mapping of the same pages;
#                                       qemu-user does not see those writes, runs stale translations and the
#                                       guest dies with "Illegal instruction" or SIGSEGV. Harmless for AOT.
#   DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1  there is no arm64 ICU (the project sets InvariantGlobalization anyway)
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

cpu=max
secs=600
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) cpu="$2"; shift 2 ;;
    --timeout) secs="$2"; shift 2 ;;
    --) shift; break ;;
    -*) echo "qemu.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ $# -lt 1 ]; then
  echo "usage: scripts/arm64/qemu.sh [--cpu MODEL] [--timeout SECONDS] EXE [ARGS...]" >&2
  exit 2
fi

sysroot=/usr/aarch64-linux-gnu
if ! command -v qemu-aarch64 >/dev/null 2>&1 || [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then
  echo "qemu.sh: needs qemu-aarch64 (qemu-user) and the arm64 cross libc (libc6-dev-arm64-cross): run scripts/setup.sh" >&2
  exit 2
fi

libpath="$sysroot/lib"
guest_libs="${ARM64_GUEST_LIBS:-$root/out/arm64-check/guest-root/usr/lib/aarch64-linux-gnu}"
[ -d "$guest_libs" ] && libpath="$libpath:$guest_libs"

exec timeout --kill-after=10 "$secs" qemu-aarch64 -cpu "$cpu" -L "$sysroot" \
  -E "LD_LIBRARY_PATH=$libpath" \
  -E DOTNET_EnableWriteXorExecute=0 \
  -E DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 \
  "$@"
