<?php

/**
 * public/Glue/index.php of a shop in handler mode (D1): the engine answers
 * the agent resources and its own refresh tokens in-process; everything else
 * reaches Spryker's Glue application as before.
 */

use Pyz\Glue\AgentOauth\AgentOauthGlueRouter;
use Pyz\Glue\GlueApplication\Bootstrap\GlueBootstrap;
use Pyz\Shared\AgentOauth\AgentOauthConstants;
use Spryker\Client\Agent\AgentClient;
use Spryker\Client\Customer\CustomerClient;
use Spryker\Shared\Config\Application\Environment;
use Spryker\Shared\Config\Config;
use Spryker\Shared\ErrorHandler\ErrorHandlerEnvironment;

define('APPLICATION', 'GLUE');
defined('APPLICATION_ROOT_DIR') || define('APPLICATION_ROOT_DIR', dirname(__DIR__, 2));

require_once APPLICATION_ROOT_DIR . '/vendor/autoload.php';

Environment::initialize();
(new ErrorHandlerEnvironment())->initialize();

$headers = [];
foreach ($_SERVER as $key => $value) {
    if (str_starts_with($key, 'HTTP_')) {
        $headers[] = [str_replace('_', '-', substr($key, 5)), (string) $value];
    } elseif (in_array($key, ['CONTENT_TYPE', 'CONTENT_LENGTH'], true)) {
        $headers[] = [str_replace('_', '-', $key), (string) $value];
    }
}

$router = AgentOauthGlueRouter::create(
    Config::get(AgentOauthConstants::ENGINE_CONFIGURATION),
    new AgentClient(),
    new CustomerClient(),
);
$response = $router->handle(
    $_SERVER['REQUEST_METHOD'],
    (string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH),
    $_SERVER['QUERY_STRING'] ?? '',
    $headers,
    (string) file_get_contents('php://input'),
    // Behind a proxy: the right-most address it did not add (D17), not the proxy's.
    $_SERVER['REMOTE_ADDR'],
    static function (): ?array {
        (new GlueBootstrap())->boot()->run();

        return null;
    },
);

if ($response !== null) {
    http_response_code($response['status']);
    foreach ($response['headers'] as [$name, $value]) {
        header("$name: $value", false);
    }
    echo $response['body'];
}
