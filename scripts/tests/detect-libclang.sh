#!/usr/bin/env bash
# Tests has_libclang from scripts/lib/detect.sh against fake library trees:
# libclang-cpp alone (a fresh Debian machine) must not count as libclang.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/detect.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # expected(0|1) description files...
    local want=$1 what=$2 dir
    shift 2
    dir=$(mktemp -d "$tmp/case.XXXX")
    for f in "$@"; do touch "$dir/$f"; done
    local got=0
    has_libclang "$dir" || got=1
    if [ "$got" = "$want" ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL: $what (want $want, got $got)"; fi
}
check 1 "empty directory"
check 1 "libclang-cpp only" libclang-cpp.so.14
check 1 "libclang-cpp with dev link" libclang-cpp.so.14 libclang-cpp.so
check 1 "unrelated libclang-rt" libclang_rt.asan-x86_64.so
check 0 "Debian libclang1-14" libclang-14.so.1
check 0 "llvm lib dir" libclang.so.1
check 0 "libclang-dev link" libclang.so
check 0 "versioned dev link" libclang-14.so
check 0 "libclang beside libclang-cpp" libclang-cpp.so.14 libclang-14.so.14.0.6
echo "detect-libclang: $passed passed, $failed failed"
[ "$failed" = 0 ]
