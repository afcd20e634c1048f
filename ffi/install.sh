#!/bin/sh
# Installs libagent_oauth: the header, the shared library under its SONAME,
# the static library and a pkg-config file.
#
#   cargo build --release -p agent-oauth-ffi
#   PREFIX=/usr/local [DESTDIR=/tmp/stage] [LIBDIR=lib] ffi/install.sh
#
# PREFIX   where it goes (default /usr/local); recorded in agent_oauth.pc
# DESTDIR  staging root prepended to every path (packaging); not recorded
# LIBDIR   library directory under PREFIX (default lib; Debian multiarch:
#          lib/x86_64-linux-gnu)
# AO_LIB_DIR  where the built libraries are (default target/release)
# AO_STRIP    0 keeps the debug line tables; by default the installed
#             libraries are stripped of them (60 MB -> 10 MB), as
#             packagers ship them (STRIP names the tool, for cross builds)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
LIBDIR=${LIBDIR:-lib}
DESTDIR=${DESTDIR:-}
AO_LIB_DIR=${AO_LIB_DIR:-${CARGO_TARGET_DIR:-$root/target}/release}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
MAJOR=${VERSION%%.*}
# `cargo rustc --lib -- --print native-static-libs` on Linux.
NATIVE_STATIC_LIBS="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

for f in libagent_oauth.so libagent_oauth.a; do
    if [ ! -f "$AO_LIB_DIR/$f" ]; then
        echo "install.sh: $AO_LIB_DIR/$f is missing; run cargo build --release -p agent-oauth-ffi" >&2
        exit 1
    fi
done

lib="$DESTDIR$PREFIX/$LIBDIR"
install -d "$DESTDIR$PREFIX/include" "$lib/pkgconfig"
install -m 644 "$root/include/agent_oauth.h" "$DESTDIR$PREFIX/include/agent_oauth.h"
install -m 644 "$AO_LIB_DIR/libagent_oauth.a" "$lib/libagent_oauth.a"
install -m 755 "$AO_LIB_DIR/libagent_oauth.so" "$lib/libagent_oauth.so.$VERSION"
ln -sf "libagent_oauth.so.$VERSION" "$lib/libagent_oauth.so.$MAJOR" # the SONAME: found at run time
ln -sf "libagent_oauth.so.$MAJOR" "$lib/libagent_oauth.so"          # -lagent_oauth: found at link time
if [ "${AO_STRIP:-1}" != 0 ]; then
    # The shared library keeps its dynamic symbol table (the ao_* API).
    ${STRIP:-strip} --strip-unneeded "$lib/libagent_oauth.so.$VERSION"
    ${STRIP:-strip} --strip-debug "$lib/libagent_oauth.a"
fi
sed -e "s|@PREFIX@|$PREFIX|" -e "s|@LIBDIR@|$LIBDIR|" -e "s|@VERSION@|$VERSION|" \
    -e "s|@NATIVE_STATIC_LIBS@|$NATIVE_STATIC_LIBS|" \
    "$root/ffi/agent_oauth.pc.in" > "$lib/pkgconfig/agent_oauth.pc"
echo "installed libagent_oauth $VERSION into $DESTDIR$PREFIX"
