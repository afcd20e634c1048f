#!/usr/bin/env bash
# Runs every build-and-run command that examples/c/agent_assist.c,
# ffi/README.md and php-ext/README.md show, verbatim, in a scratch copy of the
# repository (issue 13): each ```sh block of the two READMEs and the command
# lines of agent_assist.c's "Build and run" comment, as one bash script each
# (-e -o pipefail), from the copy's root.
#
# The environment is the only thing arranged: HOME is a scratch directory
# (so `PREFIX=$HOME/.local` installs land there), the copy's `target` is
# this checkout's (builds are shared, not repeated), `sudo` runs the command
# as is when we are root already, apt asks nothing, and no command reads
# stdin. Every ```sh block found must run: their count is checked against
# the file's opening fences, and php-ext/README.md must run the PHP suite
# (php-ext/run-tests.sh), which test-all.sh runs only through it.
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
export DEBIAN_FRONTEND=noninteractive
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

if [[ " ${files[*]} " == *" php-ext/README.md "* ]] &&
    ! blocks php-ext/README.md | tr '\0' '\n' | grep -q '^php-ext/run-tests.sh'; then
    echo "documented-commands: php-ext/README.md no longer runs php-ext/run-tests.sh (the PHP suite)" >&2
    exit 1
fi

count=0
for file in "${files[@]}"; do
    n=0
    while IFS= read -r -d '' block; do
        [ -n "${block//[[:space:]]/}" ] || continue
        n=$((n + 1))
        echo "== $file, command block $n"
        printf '%s\n' "$block" | sed 's/^/   $ /'
        if ! (cd "$copy" && bash -e -o pipefail -c "$block" </dev/null); then
            echo "documented-commands: $file, block $n failed" >&2
            exit 1
        fi
    done < <(blocks "$file")
    if [ "$n" -eq 0 ]; then
        echo "documented-commands: no command block found in $file" >&2
        exit 1
    fi
    case "$file" in
    *.md)
        fences=$(grep -c '^```sh$' "$copy/$file")
        if [ "$n" -ne "$fences" ]; then
            echo "documented-commands: $file opens $fences sh blocks, $n ran" >&2
            exit 1
        fi
        ;;
    esac
    count=$((count + n))
done
echo "documented-commands: ${#files[@]} files, $count command blocks, all ran"
