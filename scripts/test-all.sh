#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, Rust tests (core, Glue,
# server, C ABI; the C programs compile and run under valgrind inside them),
# the documented build commands (which run the PHP extension's suite), and a
# short run of every fuzz target (nightly).
# Installs missing Debian packages first (as root, or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/detect.sh

packages=()
need() { command -v "$1" >/dev/null 2>&1 || packages+=("${@:2}"); }
need cc gcc
need c++ g++
need pkg-config pkg-config
need valgrind valgrind
need jq jq
need curl curl
need php php8.2-cli
need php-config php8.2-dev
need phpunit phpunit
[ -x /usr/sbin/mariadbd ] || need mariadbd mariadb-server
# The PostgreSQL store's tests start a real server from Debian's packages.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || packages+=(postgresql)
has_libclang || packages+=(libclang-dev)
# php-ext/README.md's install line runs verbatim later
# (scripts/tests/documented-commands.sh): with exactly its packages present it
# needs no package lists, whatever other PHP version or libclang the machine
# has.
for p in php8.2-cli php8.2-dev libclang-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        [[ " ${packages[*]} " == *" $p "* ]] || packages+=("$p")
done
if [ ${#packages[@]} -gt 0 ]; then
    echo "installing: ${packages[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing: install Rust 1.86 or newer with rustup (https://rustup.rs)" >&2
    exit 1
fi

step() { printf '\n== %s\n' "$*"; }

step "scripts: package detection"
scripts/tests/detect-libclang.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test"
cargo test --workspace

step "HTTP end-to-end suite again, every server on PostgreSQL"
AGENT_OAUTH_E2E_STORE=postgres cargo test -p agent-oauth-server --test e2e --test lockout_burst --test impersonation_policy --test customer_consent

# php-ext/README.md's commands include php-ext/run-tests.sh (the PHPUnit
# suite and the PHP examples, debug build) and its release + valgrind run.
step "every documented build-and-run command (C example, ffi and php-ext READMEs), verbatim in a scratch copy"
scripts/tests/documented-commands.sh

step "fuzz: a short run of every cargo-fuzz target on its corpus"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}" scripts/fuzz-ci.sh

echo
echo "all tests passed"
