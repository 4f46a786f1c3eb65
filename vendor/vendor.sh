#!/usr/bin/env bash
# Vendors every dependency in Cargo.lock that a Linux build (x86_64 or aarch64,
# linux-gnu) can need, so that kelp builds on a machine with no registry access.
#
# Usage: vendor/vendor.sh [DIR]
#        vendor/vendor.sh --print-stamp
#   DIR defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/kelp-vendor; it is outside the
#   checkout on purpose: nothing vendored is committed, only this recipe.
#
# Writes:
#   DIR/crates/             the crate sources (crates for other platforms are empty stubs)
#   DIR/.cargo/config.toml  the source replacement; its path is relative, so DIR can be
#                           copied anywhere:  cargo build --config DIR/.cargo/config.toml
#   DIR/stamp               what DIR was made from (see vendor/check.sh)
#
# Needs crates.io, and cargo-vendor-filterer for the platform filtering
# (cargo install --locked cargo-vendor-filterer). Without it, plain `cargo vendor`
# is used, which keeps the crates of every platform (Windows, macOS, ...): the tree is
# bigger but builds the same.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

platforms=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu)

# The stamp names everything the vendored set depends on: the lock file, the manifest
# (features select optional dependencies), this script and the platforms.
stamp() {
  {
    sha256sum Cargo.lock Cargo.toml vendor/vendor.sh | awk '{print $1}'
    echo "${platforms[*]}"
  } | sha256sum | awk '{print $1}'
}

# vendor/vendor.sh --print-stamp: the stamp a tree made now would carry (for check.sh).
if [ "${1:-}" = "--print-stamp" ]; then
  stamp
  exit 0
fi

dir="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/kelp-vendor}"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case "$dir/" in
"$root"/*)
  echo "vendor.sh: $dir is inside the checkout; vendor outside it (nothing vendored is committed)" >&2
  exit 64
  ;;
esac

before=$(stamp)
tmp=$(mktemp -d "$dir/.crates.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if cargo vendor-filterer --version >/dev/null 2>&1; then
  args=()
  for p in "${platforms[@]}"; do args+=(--platform "$p"); done
  # all dependency kinds: tests and benches build offline too
  cargo vendor-filterer "${args[@]}" --manifest-path "$root/Cargo.toml" "$tmp/crates" >&2
  filtered=yes
else
  echo "vendor.sh: cargo-vendor-filterer not found (cargo install --locked cargo-vendor-filterer);" \
    "falling back to plain cargo vendor, which keeps every platform's crates" >&2
  cargo vendor --locked --manifest-path "$root/Cargo.toml" "$tmp/crates" >/dev/null
  filtered=no
fi

# cargo vendor may rewrite an out-of-date Cargo.lock; a vendored tree must match the
# committed one exactly.
if [ "$(stamp)" != "$before" ]; then
  echo "vendor.sh: Cargo.lock or Cargo.toml changed while vendoring; run again" >&2
  exit 1
fi

# Swap the new tree in only once it is complete.
rm -rf "$dir/crates" "$dir/.cargo"
mv "$tmp/crates" "$dir/crates"
mkdir -p "$dir/.cargo"
# Paths in a cargo config file are relative to the directory above its .cargo/.
cat >"$dir/.cargo/config.toml" <<EOF
# Written by kelp's vendor/vendor.sh: build kelp from the crates in ../crates only.
#   cargo build --release --config $dir/.cargo/config.toml
# (or copy this file to .cargo/config.toml in the checkout, with an absolute directory)
[source.crates-io]
replace-with = "kelp-vendored"

[source.kelp-vendored]
directory = "crates"

[net]
offline = true
EOF
{
  echo "stamp=$before"
  echo "platforms=${platforms[*]}"
  echo "filtered=$filtered"
  echo "crates=$(find "$dir/crates" -mindepth 1 -maxdepth 1 -type d | wc -l)"
  echo "made=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$dir/stamp"

echo "vendor.sh: $(grep ^crates= "$dir/stamp" | cut -d= -f2) crates in $dir/crates ($(du -sh "$dir/crates" | cut -f1), filtered to Linux: $filtered)"
echo "vendor.sh: build offline with: cargo build --release --locked --offline --config $dir/.cargo/config.toml"
