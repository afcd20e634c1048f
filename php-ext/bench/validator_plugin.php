<?php

/**
 * What the Client validator plugin of examples/php/spryker/ (issue 12) adds
 * to every authenticated Glue request, against the signature check league
 * makes on every request anyway (openssl_verify of the same token with the
 * same public key), in the same process, rounds interleaved:
 *
 *   - an impersonation token: Engine::isEngineToken() plus the strict check
 *     (RS256 verification in Rust, the session and its agent read from a
 *     SQLite file in WAL mode, D23);
 *   - a Spryker customer token: Engine::isEngineToken() alone (no engine).
 *
 *   cargo build -p agent_oauth_php --release
 *   php -d extension=$PWD/target/release/libagent_oauth_php.so php-ext/bench/validator_plugin.php
 *
 * Options: --rounds=15 --batch=2000. Prints medians of per-round ratios;
 * asserts nothing about time.
 */

declare(strict_types=1);

use AgentOauth\Engine;
use Generated\Shared\Transfer\OauthAccessTokenValidationRequestTransfer;
use Generated\Shared\Transfer\OauthAccessTokenValidationResponseTransfer;
use Pyz\Client\AgentOauth\Plugin\Oauth\AgentOauthAccessTokenValidatorPlugin;

$options = getopt('', ['rounds:', 'batch:']) + [];
$rounds = (int) ($options['rounds'] ?? 15);
$batch = (int) ($options['batch'] ?? 2000);

$root = dirname(__DIR__, 2);
require $root . '/tests/php/Fixtures/spryker-shims.php';
require $root . '/examples/php/spryker/src/Pyz/Shared/AgentOauth/AgentOauthConstants.php';
require $root . '/examples/php/spryker/src/Pyz/Client/AgentOauth/Plugin/Oauth/AgentOauthAccessTokenValidatorPlugin.php';

$key = $root . '/core/tests/keys/test-only-private-key.pem';
$directory = sys_get_temp_dir() . '/agent-oauth-plugin-bench-' . getmypid();
mkdir($directory);
register_shutdown_function(static function () use ($directory): void {
    array_map('unlink', glob("$directory/*") ?: []);
    rmdir($directory);
});
$engine = new Engine([
    'database_path' => "$directory/agent-oauth.db",
    'private_key_path' => $key,
    'argon2' => ['memory_kib' => 256, 'iterations' => 1, 'parallelism' => 1],
]);
$engine->installScopes();
$engine->addAgent('admin@spryker.com', 'change123');
$engine->upsertCustomer([
    'id_customer' => 5, 'customer_reference' => 'DE--5', 'email' => 'spencor.hopkin@spryker.com',
    'first_name' => 'Spencor', 'last_name' => 'Hopkin', 'id_company_user' => null,
    'permissions' => null, 'is_active' => true,
]);
$agent = $engine->agentLogin('admin@spryker.com', 'change123', '127.0.0.1');
$impersonation = $engine->impersonateCustomer($agent['access_token'], 'DE--5', 'bench', '127.0.0.1')['access_token'];

// A Spryker customer token, signed with the same key.
$b64 = static fn (string $s): string => rtrim(strtr(base64_encode($s), '+/', '-_'), '=');
$header = $b64('{"typ":"JWT","alg":"RS256"}');
$claims = $b64(json_encode(['aud' => 'frontend', 'jti' => str_repeat('ab', 40), 'iat' => time(), 'nbf' => time(),
    'exp' => time() + 28800, 'scopes' => ['customer'],
    'sub' => '{"id_company_user":null,"id_agent":null,"customer_reference":"DE--5","id_customer":5,"permissions":null}'],
    JSON_THROW_ON_ERROR));
openssl_sign("$header.$claims", $signature, (string) file_get_contents($key), OPENSSL_ALGO_SHA256);
$customer = "$header.$claims." . $b64($signature);
$publicKey = openssl_pkey_get_public($engine->publicKeyPem());

$plugin = new AgentOauthAccessTokenValidatorPlugin(static fn (): Engine => $engine);
$validate = static function (string $token) use ($plugin): void {
    $request = (new OauthAccessTokenValidationRequestTransfer())->setType('Bearer')->setAccessToken($token);
    $response = $plugin->validate($request, (new OauthAccessTokenValidationResponseTransfer())->setIsValid(true));
    if ($response->getIsValid() !== true) {
        throw new RuntimeException('the plugin refused a live token');
    }
};
// league's own per-request work: the RS256 signature of the token.
$league = static function (string $token) use ($publicKey): void {
    [$h, $c, $s] = explode('.', $token);
    $raw = base64_decode(strtr($s, '-_', '+/'), true);
    if (openssl_verify("$h.$c", (string) $raw, $publicKey, OPENSSL_ALGO_SHA256) !== 1) {
        throw new RuntimeException('bad signature');
    }
};

/** Microseconds per call of $f over $batch calls. */
$time = static function (callable $f, string $token) use ($batch): float {
    $start = hrtime(true);
    for ($i = 0; $i < $batch; $i++) {
        $f($token);
    }
    return (hrtime(true) - $start) / 1e3 / $batch;
};
$median = static function (array $values): float {
    sort($values);
    $n = count($values);
    return $n % 2 ? $values[intdiv($n, 2)] : ($values[$n / 2 - 1] + $values[$n / 2]) / 2;
};

for ($i = 0; $i < 2; $i++) { // warm-up
    $time($league, $impersonation);
    $time($validate, $impersonation);
    $time($validate, $customer);
}
$rows = [];
for ($round = 0; $round < $rounds; $round++) {
    $rows[] = [
        'league' => $time($league, $impersonation),
        'strict' => $time($validate, $impersonation),
        'customer' => $time($validate, $customer),
    ];
}
$column = static fn (string $name): array => array_column($rows, $name);
printf("%d rounds of %d calls each, medians (µs per request):\n", $rounds, $batch);
printf("  league's signature check (openssl_verify): %.1f\n", $median($column('league')));
printf("  plugin, impersonation token (strict check): %.1f\n", $median($column('strict')));
printf("  plugin, Spryker customer token (isEngineToken only): %.2f\n", $median($column('customer')));
printf(
    "plugin on an impersonation token / league's check: %.3f (median of per-round ratios)\n",
    $median(array_map(static fn (array $r): float => $r['strict'] / $r['league'], $rows)),
);
printf(
    "plugin on a customer token / league's check: %.4f\n",
    $median(array_map(static fn (array $r): float => $r['customer'] / $r['league'], $rows)),
);
