#!/usr/bin/env bash
# Short fuzz run of every cargo-fuzz target on its committed corpus (issue 10),
# so a regression that the corpora or a few seconds of mutation reach shows up
# in CI. Fails on any crash, panic, leak, timeout or out-of-memory.
#
#   scripts/fuzz-ci.sh                 # every target, 45 s each
#   FUZZ_SECONDS=10 scripts/fuzz-ci.sh token_verify config_parse
#
# Needs nightly Rust (`cargo +nightly`); installs cargo-fuzz when missing.
# Committed files are never written: libFuzzer adds new inputs only to the
# first corpus directory it is given, which is a temporary one; crash inputs
# go to fuzz/artifacts/<target>/ (ignored by git).
set -euo pipefail

FUZZ_SECONDS="${FUZZ_SECONDS:-45}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz-ci: nightly Rust is missing (cargo-fuzz needs it); installing it with rustup"
    if ! rustup toolchain install nightly --profile minimal; then
        echo "fuzz-ci: could not install nightly Rust: rustup toolchain install nightly" >&2
        exit 1
    fi
fi
if ! cargo +nightly fuzz --help >/dev/null 2>&1; then
    echo "fuzz-ci: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
echo "fuzz-ci: $(cargo +nightly --version), $(cargo +nightly fuzz --version)"

cd "$root/fuzz"
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

# One build with the flags `cargo fuzz run` uses (release, AddressSanitizer,
# debug assertions), so the runs below do not rebuild.
cargo +nightly fuzz build

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
    if [ ! -d "corpus/$target" ]; then
        echo "fuzz-ci: no committed corpus for $target" >&2
        failed+=("$target")
        continue
    fi
    mkdir -p "$work/$target"
    echo "fuzz-ci: $target for ${FUZZ_SECONDS}s on corpus/$target ($(ls "corpus/$target" | wc -l) inputs)"
    if cargo +nightly fuzz run "$target" "$work/$target" "corpus/$target" -- \
        -max_total_time="$FUZZ_SECONDS" \
        -rss_limit_mb=4096 \
        -timeout=10 \
        -print_final_stats=1 \
        >"$work/$target.log" 2>&1; then
        grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' "$work/$target.log" || true
    else
        echo "fuzz-ci: $target FAILED; the end of its log:" >&2
        tail -n 60 "$work/$target.log" >&2
        echo "fuzz-ci: the crashing input is under fuzz/artifacts/$target/" >&2
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz-ci: failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz-ci: ${#targets[@]} targets, no crash"
