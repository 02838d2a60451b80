#!/usr/bin/env bash
# One-time set-up shared by scripts/demo.sh and scripts/test.sh: checks the .NET SDK, installs the
# Debian/Ubuntu packages later stages need, restores NuGet packages. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (https://learn.microsoft.com/dotnet/core/install/linux-debian:" >&2
  echo "       'sudo apt-get install -y dotnet-sdk-10.0' after adding Microsoft's package feed, or dotnet-install.sh)." >&2
  exit 2
fi
major=$(dotnet --version | cut -d. -f1)
if [ "$major" -lt 10 ]; then
  echo "setup: .NET SDK $(dotnet --version) found; EdgeNorm needs 10.0 or later." >&2
  exit 2
fi

# Debian packages. arm64 cross build + emulation (scripts/arm64/check.sh, docs/arm64.md): clang/lld drive
# the NativeAOT link for linux-arm64 through the *-cross binutils and libc; qemu-user gives qemu-aarch64
# (not qemu-user-static, which conflicts with qemu-user-binfmt).
# afl++: the fuzzing engine of scripts/fuzz.sh (docs/reliability.md).
APT_PACKAGES=(clang lld gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu qemu-user afl++)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore EdgeNorm.sln --verbosity quiet
