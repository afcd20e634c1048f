#!/usr/bin/env bash
# Runs every build-and-run command that examples/c/agent_assist.c,
# ffi/README.md and php-ext/README.md show, verbatim, in a scratch copy of the
# repository (issue 13): each ```sh block of the two READMEs and the command
# lines of agent_assist.c's "Build and run" comment, as one bash script each
# (-e -o pipefail), from the copy's root.
#
# The environment is the only thing arranged: HOME is a scratch directory
# (so `PREFIX=$HOME/.local` installs land there), the copy's `target` is
# this checkout's (builds are shared, not repeated), and `sudo` runs the
# command as is when we are root already.
#
#   scripts/tests/documented-commands.sh [FILE...]   (default: all three)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(examples/c/agent_assist.c ffi/README.md php-ext/README.md)

scratch=$(mktemp -d "${TMPDIR:-/tmp}/agent-oauth-docs.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
copy="$scratch/repo"
mkdir -p "$copy" "$scratch/home" "$scratch/bin"
# Tracked and new files as they are in the working tree, without build output.
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$copy" -xf -
target="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$target"
ln -s "$target" "$copy/target"

# cargo and rustup stay where they are; only HOME moves.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export PATH="$CARGO_HOME/bin:$PATH"
export HOME="$scratch/home"
unset CARGO_TARGET_DIR PKG_CONFIG_PATH
if [ "$(id -u)" -eq 0 ]; then
    printf '#!/bin/sh\nexec "$@"\n' > "$scratch/bin/sudo"
    chmod +x "$scratch/bin/sudo"
    export PATH="$scratch/bin:$PATH"
fi

# The command blocks of one file, each ending with a NUL.
blocks() {
    case "$1" in
    *.md)
        awk '/^```sh$/ { inside = 1; next }
             inside && /^```$/ { inside = 0; printf "%c", 0; next }
             inside { print }' "$copy/$1"
        ;;
    *.c)
        # The indented lines of the comment's "Build and run" paragraph.
        awk '/Build and run/ { inside = 1; next }
             inside && /^ \*   / { sub(/^ \*   /, ""); print; found = 1; next }
             inside && found && !/^ \*   / { exit }
             END { printf "%c", 0 }' "$copy/$1"
        ;;
    esac
}

count=0
for file in "${files[@]}"; do
    n=0
    while IFS= read -r -d '' block; do
        [ -n "${block//[[:space:]]/}" ] || continue
        n=$((n + 1))
        echo "== $file, command block $n"
        printf '%s\n' "$block" | sed 's/^/   $ /'
        if ! (cd "$copy" && bash -e -o pipefail -c "$block"); then
            echo "documented-commands: $file, block $n failed" >&2
            exit 1
        fi
    done < <(blocks "$file")
    if [ "$n" -eq 0 ]; then
        echo "documented-commands: no command block found in $file" >&2
        exit 1
    fi
    count=$((count + n))
done
echo "documented-commands: ${#files[@]} files, $count command blocks, all ran"
