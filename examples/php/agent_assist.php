<?php

/**
 * The agent-assist flow through the PHP extension, end to end:
 * an agent logs in, finds a customer, impersonates them, the impersonation
 * token is checked as a shop endpoint would, refreshed, and revoked.
 *
 *   cargo build -p agent_oauth_php
 *   php -d extension=$PWD/target/debug/libagent_oauth_php.so examples/php/agent_assist.php
 *
 * It signs with the repository's test-only key: a shop uses its own OAuth key
 * pair (the file OAUTH_KEY_PRIVATE_PATH points to).
 */

declare(strict_types=1);

use AgentOauth\Engine;
use AgentOauth\RefreshFailedException;

if (!extension_loaded('agent_oauth_php')) {
    fwrite(STDERR, "Load the extension: php -d extension=/abs/path/libagent_oauth_php.so " . $argv[0] . "\n");
    exit(1);
}

$clientIp = '203.0.113.7';

// One configuration schema everywhere (D10). In PHP-FPM, Engine::shared()
// keeps the database and the parsed key in the worker between requests.
$engine = Engine::shared([
    'database_path' => ':memory:',
    'private_key_path' => __DIR__ . '/../../core/tests/keys/test-only-private-key.pem',
    'glue_base_url' => 'https://glue.mysprykershop.com',
    // Cheap hashing for a demo; the default is argon2id m=19456 KiB, t=2.
    'argon2' => ['memory_kib' => 256, 'iterations' => 1, 'parallelism' => 1],
]);

// Setup, as `console setup:init-db` would do it: scopes, an agent, customers.
$engine->installScopes();
$engine->addAgent('admin@spryker.com', 'change123');
$engine->upsertCustomer([
    'id_customer' => 5,
    'customer_reference' => 'DE--5',
    'email' => 'spencor.hopkin@spryker.com',
    'first_name' => 'Spencor',
    'last_name' => 'Hopkin',
]);

// 1. POST /agent-access-tokens through the Glue handler, as a shop forwards it (D1).
$response = $engine->handleGlueRequest(
    'POST',
    '/agent-access-tokens',
    '',
    [['Content-Type', 'application/vnd.api+json'], ['Accept', '*/*']],
    json_encode(['data' => ['type' => 'agent-access-tokens', 'attributes' => [
        'username' => 'admin@spryker.com',
        'password' => 'change123',
    ]]]),
    $clientIp,
);
$agent = json_decode($response['body'], true)['data']['attributes'];
printf("1. agent login: HTTP %d, expires in %d s\n", $response['status'], $agent['expiresIn']);

// 2. GET /agent-customer-search?q=spencor with the agent token.
$response = $engine->handleGlueRequest('GET', '/agent-customer-search', 'q=spencor',
    ['Authorization' => 'Bearer ' . $agent['accessToken']], '', $clientIp);
$found = json_decode($response['body'], true)['data'][0]['attributes']['customers'][0];
printf("2. search: HTTP %d, found %s (%s %s)\n", $response['status'], $found['customerReference'], $found['firstName'], $found['lastName']);

// 3. Impersonation, called directly this time, with a reason for the audit log.
$customer = $engine->impersonateCustomer($agent['accessToken'], $found['customerReference'], 'ticket 4711', $clientIp);
printf("3. impersonation: %s token, expires in %d s\n", $customer['token_type'], $customer['expires_in']);

// 4. What a shop endpoint sees: a customer token with the acting agent in act.
$claims = $engine->verify($customer['access_token'], true);
printf("4. verified: sub=%s act.sub=%s scopes=%s\n", $claims['sub'], $claims['act']['sub'], implode(',', $claims['scopes']));
$publicKey = $engine->publicKeyPem();
[$header, $payload, $signature] = explode('.', $customer['access_token']);
$valid = openssl_verify("$header.$payload", base64_decode(strtr($signature, '-_', '+/')), $publicKey, OPENSSL_ALGO_SHA256);
printf("   openssl_verify with the exported public key: %s\n", $valid === 1 ? 'valid' : 'INVALID');

// 5. Refresh keeps act and rotates the refresh token.
$refreshed = $engine->refresh($customer['refresh_token'], $clientIp);
printf("5. refreshed: act kept: %s\n", $engine->verify($refreshed['access_token'])['act'] === $claims['act'] ? 'yes' : 'no');

// 6. The agent ends the assistance; the session's refresh token stops working.
$revoked = $engine->revoke($agent['accessToken'], $refreshed['refresh_token'], $clientIp);
try {
    $engine->refresh($refreshed['refresh_token'], $clientIp);
    echo "6. revoke: FAILED, the refresh token still works\n";
    exit(1);
} catch (RefreshFailedException $e) {
    printf("6. revoked %d session; refresh now fails with %s (HTTP %d)\n", $revoked, $e->getGlueCode(), $e->getHttpStatus());
}

// 7. The audit trail.
foreach ($engine->auditEvents() as $event) {
    printf("   audit: %-22s agent=%s customer=%s reason=%s\n", $event['kind'], $event['agent_id'] ?? '-',
        $event['customer_reference'] ?? '-', $event['reason'] ?? '-');
}
