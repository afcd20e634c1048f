<?php
/*
 * One step of the two-process PHP test on a database server (issue 11),
 * run as its own PHP process by php-ext/tests/server_store.rs:
 *
 *   php -d extension=libagent_oauth_php.so server_store.php STEP CONFIG_JSON STATE_FILE
 *
 * Steps run in separate processes, as FPM workers of different containers
 * would: what one process issued, the next verifies, refreshes and revokes.
 * Prints "ok: STEP" on success; any failed expectation exits 1.
 */

declare(strict_types=1);

use AgentOauth\Engine;
use AgentOauth\InvalidAccessTokenException;
use AgentOauth\RefreshFailedException;

const IP = '203.0.113.7';

function expect(bool $condition, string $what): void
{
    if (!$condition) {
        fwrite(STDERR, "expectation failed: $what\n");
        exit(1);
    }
}

function refused(callable $call, string $exception, string $what): void
{
    try {
        $call();
    } catch (\Throwable $e) {
        expect($e instanceof $exception, "$what: " . get_class($e) . ' instead of ' . $exception);
        return;
    }
    expect(false, "$what: no $exception");
}

[, $step, $configJson, $stateFile] = $argv;
$engine = new Engine(json_decode($configJson, true, 512, JSON_THROW_ON_ERROR));
$state = is_file($stateFile) ? json_decode(file_get_contents($stateFile), true) : [];

switch ($step) {
    case 'issue':
        expect($engine->addAgent('admin@spryker.com', 'change123', 'active', 1) === 1, 'agent id');
        $engine->upsertCustomer([
            'id_customer' => 5, 'customer_reference' => 'DE--5', 'email' => 'karl@example.com',
            'first_name' => 'Karl', 'last_name' => 'Schmidt', 'id_company_user' => null,
            'permissions' => null, 'is_active' => true,
        ]);
        $state['agent'] = $engine->agentLogin('admin@spryker.com', 'change123', IP);
        break;
    case 'use':
        // Another process: the session issued there is live here.
        $claims = $engine->verify($state['agent']['access_token'], true);
        expect($claims['kind'] === 'agent' && $claims['agent_id'] === 1, 'strict claims');
        $imp = $engine->impersonateCustomer($state['agent']['access_token'], 'DE--5', null, IP);
        expect($engine->verify($imp['access_token'], true)['kind'] === 'impersonation', 'impersonation');
        $state['refreshed'] = $engine->refresh($state['agent']['refresh_token'], IP);
        break;
    case 'revoke':
        // A third process: the spent token is refused, and the new session ends.
        refused(fn () => $engine->refresh($state['agent']['refresh_token'], IP),
            RefreshFailedException::class, 'reuse of a token spent in another process');
        $second = $engine->agentLogin('admin@spryker.com', 'change123', IP);
        expect($engine->revokeMine($second['access_token'], IP) === 1, 'revokeMine');
        $state['revoked'] = $second;
        break;
    case 'check':
        refused(fn () => $engine->verify($state['revoked']['access_token'], true),
            InvalidAccessTokenException::class, 'a session revoked in another process');
        refused(fn () => $engine->refresh($state['revoked']['refresh_token'], IP),
            RefreshFailedException::class, 'the refresh token of a revoked session');
        break;
    default:
        expect(false, "unknown step $step");
}
file_put_contents($stateFile, json_encode($state));
echo "ok: $step\n";
