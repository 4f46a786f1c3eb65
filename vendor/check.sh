#!/usr/bin/env bash
# What CI runs for the offline build: vendors the dependencies (vendor/vendor.sh), or
# reuses the tree made earlier from the same Cargo.lock, Cargo.toml and recipe, then
# proves that kelp builds from that tree alone: no network, no registry, no cache.
#
# Usage: vendor/check.sh [DIR]                            type-check every target
#        vendor/check.sh --release [x86_64] [aarch64] [DIR]   build the release binaries
#   DIR: the vendored tree, as for vendor/vendor.sh
#        (default ${XDG_CACHE_HOME:-$HOME/.cache}/kelp-vendor).
#
# Everything is built with a fresh CARGO_HOME (no registry cache, no credentials; with
# --release it holds only the vendored config, below), CARGO_NET_OFFLINE=true and, when
# run as root, inside a new network namespace that has no network at all.
#
# Without --release, every target (lib, bin, tests, benches) is type-checked for x86_64
# (cargo check --offline --locked). The same is done for aarch64 when Debian's aarch64
# std and cross compiler are installed (packaging/test-aarch64.sh installs them) and
# VENDOR_CHECK_AARCH64 is not 0; otherwise the script says that it skipped it.
#
# With --release, packaging/build-release.sh builds the release binaries of the given
# architectures (default: both) into dist/, and checks them, as it does online. The
# Debian packages it needs are installed first, while the network is still there
# (build-release.sh --install-deps); offline it is run with --no-install, so a package
# missing then fails the build, naming it. Its plain `cargo build` reads the source
# replacement from CARGO_HOME: DIR/.cargo/config.toml is copied to
# DIR/cargo-home/config.toml, where its relative `directory = "crates"` still means
# DIR/crates (cargo resolves it from the directory above the one holding the file).
#
# Environment: CARGO_TARGET_DIR (default: DIR/target, so this never disturbs target/
# in the checkout); DIST (--release: the output directory, default dist/). Without
# --release it needs protoc (Debian: protobuf-compiler) for the etcd benchmark client,
# a dev-dependency.
set -euo pipefail
cd "$(dirname "$0")/.."

release=no
arches=()
dir=""
for arg in "$@"; do
  case "$arg" in
    --release) release=yes ;;
    x86_64 | aarch64) arches+=("$arg") ;;
    -*)
      echo "check.sh: unknown option $arg (usage: vendor/check.sh [--release [x86_64] [aarch64]] [DIR])" >&2
      exit 64
      ;;
    *)
      if [ -n "$dir" ]; then
        echo "check.sh: more than one DIR: $dir and $arg" >&2
        exit 64
      fi
      dir="$arg"
      ;;
  esac
done
if [ ${#arches[@]} -gt 0 ] && [ "$release" = no ]; then
  echo "check.sh: an architecture (${arches[*]}) is only taken with --release" >&2
  exit 64
fi
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 aarch64)
dir="${dir:-${XDG_CACHE_HOME:-$HOME/.cache}/kelp-vendor}"
start=$(date +%s)

want=$(vendor/vendor.sh --print-stamp)
if [ -f "$dir/stamp" ] && grep -qx "stamp=$want" "$dir/stamp" && [ -f "$dir/.cargo/config.toml" ]; then
  echo "check.sh: reusing $dir (made from this Cargo.lock, Cargo.toml and recipe)"
else
  vendor/vendor.sh "$dir"
fi
dir=$(cd "$dir" && pwd)
config="$dir/.cargo/config.toml"

if [ "$release" = yes ]; then
  # apt-get needs the network: install what the build needs now, before going offline.
  packaging/build-release.sh --install-deps "${arches[@]}"
elif ! command -v protoc >/dev/null; then
  echo "check.sh: protoc not found (apt-get install protobuf-compiler)" >&2
  exit 1
fi
vendored=$(date +%s)

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

if [ "$release" = yes ]; then
  # build-release.sh runs plain `cargo build`: the source replacement comes from
  # CARGO_HOME's config. Its `directory = "crates"` is relative to the directory above
  # the file's, DIR in both places.
  cp "$config" "$home/config.toml"
  echo "check.sh: release build of ${arches[*]} from $dir/crates only, $how"
  "${offline[@]}" CARGO_TARGET_DIR="$target" packaging/build-release.sh --no-install "${arches[@]}"
  end=$(date +%s)
  echo "check.sh: ok: the release binaries (${arches[*]}) build offline from $dir;" \
    "vendoring and packages $((vendored - start))s, builds $((end - vendored))s"
  exit 0
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
