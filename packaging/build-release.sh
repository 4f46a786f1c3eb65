#!/usr/bin/env bash
# Builds kelp's release binaries: fully static (glibc, +crt-static), LTO, stripped, for
# x86_64 and aarch64 (ARM64), into dist/ with a SHA256SUMS file, and checks each one
# (statically linked, runs `--version`; the aarch64 one under qemu-user).
#
# Usage: packaging/build-release.sh [--no-install] [x86_64] [aarch64]   (default: both)
#        packaging/build-release.sh --install-deps [x86_64] [aarch64]
#
# x86_64 is built by the rustup toolchain. rustup has no aarch64 std here, so aarch64 is
# built by Debian's rustc-web (/usr/bin/rustc) with libstd-rust-web-dev:arm64 and
# linked by aarch64-linux-gnu-gcc. Missing Debian packages are installed (apt-get)
# first; `--install-deps` only does that and exits, and `--no-install` fails, naming
# them, instead of installing (vendor/check.sh --release installs with the first, then
# builds offline with the second, where apt-get could not reach a mirror).
#
# Environment:
#   CARGO_TARGET_DIR   build directory (default: target/ in this checkout)
#   DIST               output directory (default: dist/ in this checkout)
#   SOURCE_DATE_EPOCH  build date shown by `kelp --version` (default: today)
#   KELP_GIT_COMMIT    commit shown by `kelp --version` when there is no .git
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

arches=()
mode=build    # or deps: --install-deps
install=yes   # no: --no-install
for a in "$@"; do
  case "$a" in
    x86_64 | aarch64) arches+=("$a") ;;
    --install-deps) mode=deps ;;
    --no-install) install=no ;;
    *)
      echo "build-release.sh: unknown argument $a (x86_64, aarch64, --install-deps or --no-install)" >&2
      exit 64
      ;;
  esac
done
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 aarch64)
if [ "$mode" = deps ] && [ "$install" = no ]; then
  echo "build-release.sh: --install-deps and --no-install contradict each other" >&2
  exit 64
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
dist="${DIST:-$root/dist}"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# Installs the Debian packages among "$@" that are missing; nothing when none is.
apt_install() {
  local missing=() p
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$install" = no ]; then
    echo "build-release.sh: missing Debian packages: ${missing[*]};" \
      "install them first (packaging/build-release.sh --install-deps ${arches[*]})" >&2
    exit 1
  fi
  echo "build-release.sh: installing ${missing[*]}"
  if [[ " ${missing[*]}" == *:arm64* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
  fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

for a in "${arches[@]}"; do
  if [ "$a" = aarch64 ]; then
    apt_install rustc-web cargo-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu \
      libc6-dev-arm64-cross qemu-user-static
  fi
done
apt_install file binutils
if [ "$mode" = deps ]; then
  echo "build-release.sh: the Debian packages for ${arches[*]} are installed"
  exit 0
fi

if ! command -v cargo >/dev/null; then
  echo "build-release.sh: cargo not found; install Rust (https://rustup.rs) first" >&2
  exit 1
fi

# Only this script's flags: a stray CARGO_ENCODED_RUSTFLAGS would override RUSTFLAGS.
unset CARGO_ENCODED_RUSTFLAGS
export RUSTFLAGS="-C target-feature=+crt-static"

mkdir -p "$dist"
rm -f "$dist"/kelp-* "$dist/SHA256SUMS"

for a in "${arches[@]}"; do
  triple="$a-unknown-linux-gnu"
  run=() machine=""
  start=$(date +%s)
  case "$a" in
    x86_64)
      machine=X86-64
      echo "build-release.sh: building $triple with $(rustc --version)"
      # --target is needed for +crt-static: without it RUSTFLAGS also reach build
      # scripts and proc macros, which cannot be static.
      cargo build --release --locked --target "$triple"
      ;;
    aarch64)
      machine=AArch64
      echo "build-release.sh: building $triple with $(/usr/bin/rustc --version) (Debian)"
      # Debian's rustc for the target and the host crates (build scripts, proc macros).
      # The runner lets `cargo run`/`cargo test` of this target work too; it is not given
      # -L /usr/aarch64-linux-gnu: the binary is static, and mixing that glibc with
      # the static one hangs on the first thread.
      RUSTC=/usr/bin/rustc \
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64-static \
        cargo build --release --locked --target "$triple"
      run=(qemu-aarch64-static)
      ;;
  esac
  echo "build-release.sh: $triple built in $(($(date +%s) - start)) s"

  bin="$CARGO_TARGET_DIR/$triple/release/kelp"
  out="$dist/kelp-$a"
  cp "$bin" "$out"

  # Checks: static (no interpreter, no shared libraries), the right machine, and it runs.
  desc=$(file -b "$out")
  case "$desc" in
    *"statically linked"* | *"static-pie linked"*) ;;
    *)
      echo "build-release.sh: $out is not statically linked: $desc" >&2
      exit 1
      ;;
  esac
  if readelf -lW "$out" | grep -q INTERP || readelf -dW "$out" | grep -q NEEDED; then
    echo "build-release.sh: $out asks for a dynamic loader or shared libraries" >&2
    exit 1
  fi
  if ! readelf -hW "$out" | grep -q "Machine:.*$machine"; then
    echo "build-release.sh: $out is not an $machine binary" >&2
    exit 1
  fi
  version=$("${run[@]}" "$out" --version)
  case "$version" in
    "kelp "*"$triple"*) ;;
    *)
      echo "build-release.sh: $out --version printed: $version" >&2
      exit 1
      ;;
  esac
  echo "build-release.sh: $out: $(stat -c %s "$out") bytes; $desc"
  echo "build-release.sh: $out --version: $version"
done

(cd "$dist" && sha256sum kelp-* >SHA256SUMS)
echo "build-release.sh: wrote $dist/SHA256SUMS"
cat "$dist/SHA256SUMS"
