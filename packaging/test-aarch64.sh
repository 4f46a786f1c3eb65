#!/usr/bin/env bash
# Builds kelp's tests for aarch64 (ARM64) and runs them on this x86_64 machine under
# qemu-user: the unit tests and the binary's tests, then the tests of tests/it that do
# not start a process (see below). Missing Debian packages are installed (apt-get).
#
# Usage: packaging/test-aarch64.sh [extra arguments for the test binaries]
#
# rustup has no aarch64 std here, so this uses Debian's rustc-web (/usr/bin/rustc) with
# libstd-rust-web-dev:arm64, linked by aarch64-linux-gnu-gcc, as packaging/build-release.sh
# does; the test binaries are static (+crt-static) like the release binary, and cargo
# runs them through qemu-aarch64-static.
#
# Environment: CARGO_TARGET_DIR (default: target/ in this checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# protobuf-compiler: the etcd benchmark client, a dev-dependency, generates gRPC code.
missing=()
for p in rustc-web cargo-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu \
  libc6-dev-arm64-cross qemu-user-static protobuf-compiler; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-aarch64.sh: installing ${missing[*]}"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
  fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "test-aarch64.sh: cargo not found; install Rust (https://rustup.rs) first" >&2
  exit 1
fi

unset CARGO_ENCODED_RUSTFLAGS
export RUSTFLAGS="-C target-feature=+crt-static"
export RUSTC=/usr/bin/rustc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
# No `-L /usr/aarch64-linux-gnu`: the binaries are static, and mixing that glibc with the
# static one hangs on the first thread.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64-static
# emulation is several times slower: tests with deadlines scale them
export KELP_TEST_TIME_SCALE="${KELP_TEST_TIME_SCALE:-5}"
target=aarch64-unknown-linux-gnu

echo "test-aarch64.sh: $(/usr/bin/rustc --version) (Debian), target $target, under $(qemu-aarch64-static --version | head -1)"

start=$(date +%s)
cargo test --locked --target "$target" --lib --bins --tests --no-run
built=$(date +%s)
echo "test-aarch64.sh: tests built in $((built - start)) s"

cargo test --locked --target "$target" --lib --bins -- "$@"

# tests/it: most of it starts processes — the kelp binary (cli, kubectl, python, serving,
# systemd) or the test binary itself (crash). A new tests/it module that starts one
# belongs in `spawning` below. An aarch64 executable started by a process under qemu-user
# runs only when the kernel hands aarch64 ELF files to qemu (binfmt_misc); without that
# those tests cannot start their child, so they are skipped. (kubectl itself is x86_64
# and would run natively; only kelp needs the emulator.)
spawning=(cli crash kubectl python serving systemd)
# a module that starts processes and is missing from the list would fail under qemu
for f in tests/it/*.rs; do
  m=$(basename "$f" .rs)
  case " ${spawning[*]} support main " in *" $m "*) continue ;; esac
  if grep -q 'Server::start\|kelp(&\|current_exe\|Command::new' "$f"; then
    echo "test-aarch64.sh: tests/it/$m.rs starts processes: add it to spawning" >&2
    exit 1
  fi
done
skip=()
binfmt=/proc/sys/fs/binfmt_misc/qemu-aarch64
if [ -r "$binfmt" ] && grep -qx enabled "$binfmt"; then
  echo "test-aarch64.sh: binfmt_misc runs aarch64 binaries through qemu: running all of tests/it"
else
  for m in "${spawning[@]}"; do
    skip+=(--skip "$m::")
  done
  echo "test-aarch64.sh: SKIPPED in tests/it: $(printf '%s::* ' "${spawning[@]}")— they start an aarch64 process, and this kernel has no binfmt_misc entry for aarch64 ($binfmt)"
fi
cargo test --locked --target "$target" --test it -- "${skip[@]}" "$@"
echo "test-aarch64.sh: done in $(($(date +%s) - start)) s (build $((built - start)) s)"
