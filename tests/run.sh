#!/usr/bin/env bash
# Runs everything CI runs: installs what the tests need when it is missing (Debian
# packages), then formatting, lints and every test. Usage: tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# Debian packages the build and tests use: protoc (gRPC code generation for the
# etcd benchmark client) and etcd (the benchmark peer).
need=()
command -v protoc >/dev/null || need+=(protobuf-compiler)
command -v etcd >/dev/null || need+=(etcd-server)
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
