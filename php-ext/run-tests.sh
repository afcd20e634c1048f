#!/usr/bin/env bash
# Builds the PHP extension and runs its PHPUnit suite and the PHP examples
# against it. Needs php8.2-cli, php8.2-dev, libclang-dev and phpunit.
#   php-ext/run-tests.sh            debug build
#   PROFILE=release php-ext/run-tests.sh
#   VALGRIND=1 php-ext/run-tests.sh  also runs php-ext/tools/leak-check.php under valgrind
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
profile=${PROFILE:-debug}

if [ "$profile" = release ]; then
    cargo build -p agent_oauth_php --release
else
    cargo build -p agent_oauth_php
fi
target_dir=${CARGO_TARGET_DIR:-$root/target}
so="$target_dir/$profile/libagent_oauth_php.so"
php=(php -d "extension=$so")

echo "== PHPUnit ($so)"
"${php[@]}" /usr/bin/phpunit -c tests/php/phpunit.xml "$@"

echo "== examples"
"${php[@]}" examples/php/agent_assist.php >/dev/null
echo "examples/php/agent_assist.php: ok"
for f in $(find examples/php/spryker -name '*.php' | sort); do
    php -l "$f" >/dev/null
done
echo "examples/php/spryker: syntax ok (exercised by tests/php/Spryker*Test.php)"

if [ "${VALGRIND:-0}" = 1 ]; then
    echo "== valgrind"
    USE_ZEND_ALLOC=0 ZEND_DONT_UNLOAD_MODULES=1 valgrind -q --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
        php -n -d "extension=$so" php-ext/tools/leak-check.php
fi
