# Package detection helpers for scripts/test-all.sh, kept apart so that
# scripts/tests/detect-libclang.sh can run them against a fake library tree.

# has_libclang [DIR...]: true when a real libclang shared library is present.
# bindgen (through clang-sys) loads libclang.so, libclang.so.N or
# libclang-N.so[.N]; libclang-cpp.so.N is LLVM's C++ library, not libclang,
# and must not count (a fresh Debian machine may have it without libclang).
has_libclang() {
    local dirs=("$@") d f base
    [ ${#dirs[@]} -gt 0 ] || dirs=(/usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib /usr/lib/llvm-*/lib)
    for d in "${dirs[@]}"; do
        [ -d "$d" ] || continue
        for f in "$d"/libclang*.so*; do
            [ -e "$f" ] || continue
            base=${f##*/}
            case "$base" in
                libclang.so | libclang.so.[0-9]* | libclang-[0-9]*.so | libclang-[0-9]*.so.[0-9]*) return 0 ;;
            esac
        done
    done
    return 1
}
