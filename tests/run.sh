#!/usr/bin/env bash
# Runs everything CI runs: installs what the tests need when it is missing (Debian
# packages), then formatting, lints and every test. Usage: tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# Debian packages the build and tests use: protoc (gRPC code generation for the
# etcd benchmark client), etcd (the benchmark peer), and for the packaging test
# (packaging/test-install.sh) nftables, iptables, containerd, runc, busybox and
# the shellcheck linter. (The release builds install their own: see below.)
need=()
command -v protoc >/dev/null || need+=(protobuf-compiler)
command -v etcd >/dev/null || need+=(etcd-server)
command -v nft >/dev/null || need+=(nftables)
command -v iptables >/dev/null || need+=(iptables)
command -v containerd >/dev/null || need+=(containerd)
command -v runc >/dev/null || need+=(runc)
command -v busybox >/dev/null || need+=(busybox-static)
command -v shellcheck >/dev/null || need+=(shellcheck)
# the official Kubernetes Python client, for tests/it/python.rs
/usr/bin/python3 -c 'import kubernetes' 2>/dev/null || need+=(python3-kubernetes)
if [ ${#need[@]} -gt 0 ]; then
  echo "tests/run.sh: installing ${need[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "tests/run.sh: cargo not found; install Rust (https://rustup.rs) first" >&2
  exit 1
fi

cargo fmt --check
cargo clippy --all-targets -- -D warnings
# unit tests, the binary's tests and tests/it (the end-to-end suite runs last);
# kelp has no doctests, and the benches run only through `cargo bench`
cargo test --lib --bins --tests
# packaging: install.sh/uninstall.sh into temporary roots and private namespaces,
# systemd-analyze verify of the units, the .deb and the airgap bundle
packaging/test-install.sh "${CARGO_TARGET_DIR:-target}/debug/kelp"
# the release binaries, built offline: every dependency is vendored outside the
# checkout (cached by Cargo.lock; the filterer keeps Linux crates only), the Debian
# packages the build needs are installed while the network is up, then
# packaging/build-release.sh builds the static x86_64 and aarch64 binaries (fat LTO;
# aarch64 with Debian's rustc-web) into dist/ with no network and a fresh CARGO_HOME,
# checks them and runs them (aarch64 under qemu-user). The tests and benches are not
# compiled offline here (plain vendor/check.sh does that: cargo check --all-targets).
command -v cargo-vendor-filterer >/dev/null || cargo install --locked --quiet cargo-vendor-filterer
vendor/check.sh --release x86_64 aarch64
# the unit tests and the in-process tests/it cases built for aarch64 with Debian's
# toolchain (installed when missing), run under qemu-user, in their own target dir
# (kept outside the checkout between runs, like the vendored tree's, unless
# CARGO_TARGET_DIR is set: a fresh clone then rebuilds only kelp for aarch64)
cross_target="${XDG_CACHE_HOME:-$HOME/.cache}/kelp-cross/target"
[ -z "${CARGO_TARGET_DIR:-}" ] || cross_target="$CARGO_TARGET_DIR/cross"
CARGO_TARGET_DIR="$cross_target" packaging/test-aarch64.sh
# coverage-guided fuzzing of request decoding, patch application and the decoders
# (cargo-fuzz with libFuzzer on the stable toolchain, no sanitizer; installed when
# missing), each target for a short while from the committed seeds plus what earlier
# runs found (both kept outside the checkout)
fuzz/run.sh 30
