#!/usr/bin/env bash
# What CI runs for the offline build: vendors the dependencies (vendor/vendor.sh), or
# reuses the tree made earlier from the same Cargo.lock, Cargo.toml and recipe, then
# proves that kelp builds from that tree alone: no network, no registry, no cache.
#
# Usage: vendor/check.sh [DIR]
#   DIR: the vendored tree, as for vendor/vendor.sh
#        (default ${XDG_CACHE_HOME:-$HOME/.cache}/kelp-vendor).
#
# Every target (lib, bin, tests, benches) is type-checked for x86_64 with an empty
# CARGO_HOME, CARGO_NET_OFFLINE=true, --offline --locked and, when run as root, inside a
# new network namespace that has no network at all. The same is done for aarch64 when
# Debian's aarch64 std and cross compiler are installed (packaging/test-aarch64.sh
# installs them) and VENDOR_CHECK_AARCH64 is not 0; otherwise the script says that it
# skipped it. (CI checks x86_64 only: the crates are the same for both targets, and the
# aarch64 release build compiles them for aarch64.)
#
# Environment: CARGO_TARGET_DIR (default: DIR/target, so this never disturbs target/
# in the checkout). Needs protoc (Debian: protobuf-compiler) for the etcd benchmark
# client, a dev-dependency.
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/kelp-vendor}"
start=$(date +%s)

want=$(vendor/vendor.sh --print-stamp)
if [ -f "$dir/stamp" ] && grep -qx "stamp=$want" "$dir/stamp" && [ -f "$dir/.cargo/config.toml" ]; then
  echo "check.sh: reusing $dir (made from this Cargo.lock, Cargo.toml and recipe)"
else
  vendor/vendor.sh "$dir"
fi
dir=$(cd "$dir" && pwd)
config="$dir/.cargo/config.toml"
vendored=$(date +%s)

if ! command -v protoc >/dev/null; then
  echo "check.sh: protoc not found (apt-get install protobuf-compiler)" >&2
  exit 1
fi

target="${CARGO_TARGET_DIR:-$dir/target}"
# An empty CARGO_HOME, at a fixed path so that later runs can reuse the target dir.
home="$dir/cargo-home"
rm -rf "$home"
mkdir -p "$home"

# No registry cache, no credentials, no network.
offline=(env CARGO_HOME="$home" CARGO_NET_OFFLINE=true)
if [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null; then
  offline=(unshare --net -- "${offline[@]}")
  how="in a network namespace without network"
else
  how="with CARGO_NET_OFFLINE=true (not root: the network itself stays up)"
fi

echo "check.sh: x86_64: cargo check --all-targets from $dir/crates only, $how"
"${offline[@]}" CARGO_TARGET_DIR="$target" cargo check --config "$config" \
  --locked --offline --all-targets --target x86_64-unknown-linux-gnu

# rustup has no aarch64 std here; Debian's rustc (rustc-web) has one.
debian_rustc=/usr/bin/rustc
if [ "${VENDOR_CHECK_AARCH64:-1}" = 1 ] && [ -x "$debian_rustc" ] && [ -d "$("$debian_rustc" --print sysroot)/lib/rustlib/aarch64-unknown-linux-gnu" ] &&
  command -v aarch64-linux-gnu-gcc >/dev/null; then
  echo "check.sh: aarch64: cargo check --all-targets with $debian_rustc, $how"
  "${offline[@]}" CARGO_TARGET_DIR="$target-aarch64" RUSTC="$debian_rustc" \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    cargo check --config "$config" --locked --offline --all-targets \
    --target aarch64-unknown-linux-gnu
  arm="aarch64 checked"
elif [ "${VENDOR_CHECK_AARCH64:-1}" != 1 ]; then
  echo "check.sh: SKIPPED aarch64: VENDOR_CHECK_AARCH64=${VENDOR_CHECK_AARCH64}"
  arm="aarch64 SKIPPED"
else
  echo "check.sh: SKIPPED aarch64: no aarch64 std in $debian_rustc or no aarch64-linux-gnu-gcc" \
    "(packaging/test-aarch64.sh installs them)"
  arm="aarch64 SKIPPED"
fi

end=$(date +%s)
echo "check.sh: ok: kelp builds offline from $dir ($arm); vendoring $((vendored - start))s, checks $((end - vendored))s"
