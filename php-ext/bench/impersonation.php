<?php

/**
 * Impersonation issuance through the extension against the core's own rate,
 * in the same process on the same engine (D23), and memory over 100,000
 * calls after warm-up (D21).
 *
 *   cargo build -p agent_oauth_php --release --features bench
 *   php -d extension=$PWD/target/release/libagent_oauth_php.so php-ext/bench/impersonation.php
 *
 * Options: --calls=100000 (memory run) --warmup=20000 --rounds=7 --batch=2000.
 * Exits 1 when the ratio is below 0.85 or memory grows by more than 1 MiB.
 */

declare(strict_types=1);

use AgentOauth\Engine;

$options = getopt('', ['calls:', 'warmup:', 'rounds:', 'batch:']) + [];
$calls = (int) ($options['calls'] ?? 100000);
$warmup = (int) ($options['warmup'] ?? 20000);
$rounds = (int) ($options['rounds'] ?? 7);
$batch = (int) ($options['batch'] ?? 2000);

const CLIENT_IP = '127.0.0.1';
const REFERENCE = 'DE--5';

/** Resident set size in bytes, from /proc/self/statm (second field, pages). */
function rss(): int
{
    $fields = explode(' ', trim((string) file_get_contents('/proc/self/statm')));
    return (int) $fields[1] * 4096;
}

function mib(int $bytes): string
{
    return sprintf('%+.2f MiB', $bytes / 1048576);
}

// D23: a database file in WAL mode; the committed test-only key (D24).
$directory = sys_get_temp_dir() . '/agent-oauth-bench-' . getmypid();
mkdir($directory);
register_shutdown_function(static function () use ($directory): void {
    array_map('unlink', glob("$directory/*") ?: []);
    rmdir($directory);
});
$engine = new Engine([
    'database_path' => "$directory/agent-oauth.db",
    'private_key_path' => __DIR__ . '/../../core/tests/keys/test-only-private-key.pem',
    'argon2' => ['memory_kib' => 256, 'iterations' => 1, 'parallelism' => 1],
]);
$engine->installScopes();
$engine->addAgent('admin@spryker.com', 'change123');
for ($id = 1; $id <= 1000; $id++) {
    $engine->upsertCustomer([
        'id_customer' => $id,
        'customer_reference' => "DE--$id",
        'email' => "customer$id@spryker.com",
        'first_name' => 'First',
        'last_name' => "Last$id",
    ]);
}
$agentToken = $engine->agentLogin('admin@spryker.com', 'change123', CLIENT_IP)['access_token'];

$viaExtension = static function (int $n) use ($engine, $agentToken): float {
    $start = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $engine->impersonateCustomer($agentToken, REFERENCE, null, CLIENT_IP);
    }
    return (hrtime(true) - $start) / 1e9;
};

printf("PHP %s, agent_oauth_php %s, SQLite file in WAL mode, %d customers\n", PHP_VERSION, AgentOauth\VERSION, 1000);

// Warm-up: caches, the database's page cache, allocator pools.
$viaExtension($warmup);
AgentOauth\Bench\core_impersonations($engine, $agentToken, REFERENCE, CLIENT_IP, intdiv($warmup, 4));

// Rate: alternate batches so both sides see the same database size.
$ratios = [];
$extensionTime = $coreTime = 0.0;
for ($round = 1; $round <= $rounds; $round++) {
    $ext = $viaExtension($batch);
    $core = AgentOauth\Bench\core_impersonations($engine, $agentToken, REFERENCE, CLIENT_IP, $batch);
    $extensionTime += $ext;
    $coreTime += $core;
    $ratios[] = $core / $ext;
    printf("round %d: extension %7.0f/s  core %7.0f/s  ratio %.3f\n", $round, $batch / $ext, $batch / $core, $core / $ext);
}
sort($ratios);
$median = $ratios[intdiv(count($ratios), 2)];
printf("impersonations/s: extension %.0f, core %.0f; ratio %.3f (median of rounds %.3f), target >= 0.85\n",
    $rounds * $batch / $extensionTime, $rounds * $batch / $coreTime, $coreTime / $extensionTime, $median);

// Memory: flat over $calls calls after warm-up.
gc_collect_cycles();
$phpBefore = memory_get_usage();
$rssBefore = rss();
$viaExtension($calls);
gc_collect_cycles();
$phpGrowth = memory_get_usage() - $phpBefore;
$rssGrowth = rss() - $rssBefore;
printf("memory over %d calls: memory_get_usage() %s (%d bytes), RSS %s (%d -> %d KiB)\n",
    $calls, mib($phpGrowth), $phpGrowth, mib($rssGrowth), intdiv($rssBefore, 1024), intdiv($rssBefore + $rssGrowth, 1024));

$ok = $coreTime / $extensionTime >= 0.85 && abs($phpGrowth) <= 1048576 && $rssGrowth <= 1048576;
echo $ok ? "PASS\n" : "FAIL\n";
exit($ok ? 0 : 1);
