<?php

/**
 * What a test of the Pyz example classes needs: the Spryker stand-ins, and
 * an autoloader for `Pyz\...` from examples/php/spryker/src/.
 */

declare(strict_types=1);

require_once __DIR__ . '/spryker-shims.php';

spl_autoload_register(static function (string $class): void {
    $file = dirname(__DIR__, 3) . '/examples/php/spryker/src/' . str_replace('\\', '/', $class) . '.php';
    if (str_starts_with($class, 'Pyz\\') && is_file($file)) {
        require $file;
    }
});
