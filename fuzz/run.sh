#!/usr/bin/env bash
# Runs each fuzz target for a while, as CI does: coverage-guided (cargo-fuzz and
# libFuzzer on the stable toolchain, no sanitizer), starting from the committed seeds
# in corpus/TARGET plus what earlier runs on this machine found.
#
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (default: 30 seconds each, every target)
#
# A crash (a panic or a failed check in the target) stops the run with libFuzzer's
# report and the input saved under fuzz/artifacts/TARGET/; reproduce it with
#   cargo fuzz run --sanitizer none TARGET fuzz/artifacts/TARGET/crash-...
# Environment: KELP_FUZZ_TARGET_DIR (default ~/.cache/kelp-fuzz/target, kept between
# runs), KELP_FUZZ_CORPUS (default ~/.cache/kelp-fuzz/corpus: what runs find, outside
# the checkout).
set -euo pipefail
cd "$(dirname "$0")"

seconds=30
if [[ ${1:-} =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(request patch decode)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz/run.sh: installing cargo-fuzz"
  cargo install --locked --quiet cargo-fuzz
fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/kelp-fuzz"
target_dir="${KELP_FUZZ_TARGET_DIR:-$cache/target}"
corpus_root="${KELP_FUZZ_CORPUS:-$cache/corpus}"
start=$(date +%s)
cargo fuzz build --sanitizer none --target-dir "$target_dir"
built=$(date +%s)
for t in "${targets[@]}"; do
  mkdir -p "$corpus_root/$t"
  echo "fuzz/run.sh: $t for ${seconds}s"
  # new inputs go to the first directory; the seeds are read, never written
  log="$corpus_root/$t.log"
  if ! cargo fuzz run --sanitizer none --target-dir "$target_dir" "$t" "$corpus_root/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz/run.sh: $t failed (above; the input is in fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
done
echo "fuzz/run.sh: ok: ${targets[*]}, ${seconds}s each, no crash (build $((built - start))s)"
