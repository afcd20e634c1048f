<?php

/**
 * What a test of the Pyz example classes needs: the Spryker stand-ins, and
 * an autoloader for `Pyz\...` from examples/php/spryker/src/.
 */

declare(strict_types=1);

require_once __DIR__ . '/spryker-shims.php';
// Stand-ins of the Glue application (resource route plugins, controllers),
// of Zed's console, B2B identifier expanders and installers, and of the
// Client kernel and the ZedRequest hop to Zed's gateway (issue 13).
foreach (['spryker-shims-glue.php', 'spryker-shims-zed.php', 'spryker-shims-client.php'] as $shims) {
    if (is_file(__DIR__ . '/' . $shims)) {
        require_once __DIR__ . '/' . $shims;
    }
}

spl_autoload_register(static function (string $class): void {
    $file = dirname(__DIR__, 3) . '/examples/php/spryker/src/' . str_replace('\\', '/', $class) . '.php';
    if (str_starts_with($class, 'Pyz\\') && is_file($file)) {
        require $file;
    }
});
