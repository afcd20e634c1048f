<?php

/**
 * Exercises every kind of crossing between PHP and the extension (arrays in
 * and out, exceptions with a previous one, throwing and malformed callables,
 * TypeErrors, shared engines, the Glue handler) for valgrind:
 *
 *   USE_ZEND_ALLOC=0 ZEND_DONT_UNLOAD_MODULES=1 valgrind --leak-check=full \
 *     --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
 *     php -n -d extension=$PWD/target/debug/libagent_oauth_php.so php-ext/tools/leak-check.php
 *
 * php-ext/run-tests.sh runs it so when VALGRIND=1.
 */

declare(strict_types=1);

use AgentOauth\Engine;

$config = [
    'database_path' => ':memory:',
    'private_key_path' => __DIR__ . '/../../core/tests/keys/test-only-private-key.pem',
    'argon2' => ['memory_kib' => 256, 'iterations' => 1, 'parallelism' => 1],
];
$expect = static function (callable $call, string $class): void {
    try {
        $call();
    } catch (Throwable $e) {
        if ($e instanceof $class) {
            return;
        }
        throw $e;
    }
    throw new LogicException("expected $class");
};

$engine = new Engine($config);
$engine->installScopes();
$engine->addAgent('admin@spryker.com', 'change123');
$engine->upsertCustomer(['id_customer' => 5, 'customer_reference' => 'DE--5', 'email' => 'e', 'first_name' => 'f', 'last_name' => 'l']);
for ($i = 0; $i < 3; $i++) {
    $engine->setAgentDirectory(static function (): array {
        throw new DomainException('down');
    });
    $expect(fn () => $engine->agentLogin('admin@spryker.com', 'change123', '10.0.0.1'), AgentOauth\DirectoryException::class);
    $engine->setAgentDirectory(static fn (): array => ['id' => 'not an int']);
    $expect(fn () => $engine->agentLogin('admin@spryker.com', 'change123', '10.0.0.1'), AgentOauth\DirectoryException::class);
    $engine->clearDirectories();
    $expect(fn () => $engine->agentLogin('admin@spryker.com', 'wrong', '10.0.0.1'), AgentOauth\AuthenticationFailedException::class);
    $expect(fn () => $engine->agentLogin(1, 'change123', '10.0.0.1'), TypeError::class);
    $expect(fn () => new Engine(['unknown' => 1]), AgentOauth\ConfigurationException::class);
    $expect(fn () => $engine->refresh('ao1_x', '10.0.0.1'), AgentOauth\RefreshFailedException::class);

    $agent = $engine->agentLogin('admin@spryker.com', 'change123', '10.0.0.1');
    $customer = $engine->impersonateCustomer($agent['access_token'], 'DE--5', 'ticket', '10.0.0.1');
    $engine->verify($customer['access_token'], true);
    $engine->refresh($customer['refresh_token'], '10.0.0.1');
    $engine->handleGlueRequest('POST', '/agent-access-tokens', '', [['Accept', '*/*']], "{\xff", '10.0.0.1');
    $engine->handleGlueRequest('GET', '/agent-customer-search', 'q=f', ['Authorization' => ['Bearer ' . $agent['access_token']]], '', '10.0.0.1');
    $engine->auditEvents(['limit' => 5]);
    $engine->jwks();
    $engine->searchCustomers('f');
    (new AgentOauth\AgentOauthUserProvider($engine))->getUser(['username' => 'admin@spryker.com', 'password' => 'change123']);
    (new AgentOauth\AgentOauthScopeProvider())->getScopes(['default_scopes' => [['identifier' => 'x']]]);
    Engine::shared($config)->installScopes();
    for ($k = 0; $k < 9; $k++) {
        $expect(fn () => $engine->agentLogin('admin@spryker.com', 'wrong', "10.0.1.$i"), AgentOauth\AuthenticationFailedException::class);
    }
    $expect(fn () => $engine->agentLogin('admin@spryker.com', 'wrong', "10.0.1.$i"), AgentOauth\TooManyAttemptsException::class);
}
echo "leak-check: done\n";
