<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\Engine;

/** The per-process engine of PHP-FPM workers (D20). */
final class SharedEngineTest extends TestCase
{
    private static function sharedConfig(string $name): array
    {
        // A distinct client id per test keeps their shared engines apart.
        return self::config(['client_id' => "shared-$name"]);
    }

    public function testSharedEnginesAreReusedNotRebuilt(): void
    {
        $config = self::sharedConfig(__FUNCTION__);
        $first = Engine::shared($config);
        self::seed($first);
        $built = Engine::processInfo()['engines_built'];
        $shared = Engine::processInfo()['shared_engines'];

        for ($request = 0; $request < 50; $request++) {
            $engine = Engine::shared($config);
            self::assertSame($first->instanceId(), $engine->instanceId());
            // The same in-memory database: the agent added through the first object logs in.
            $engine->agentLogin(AGENT, PASSWORD, IP);
            unset($engine);
        }
        unset($first);
        $again = Engine::shared($config);
        self::assertSame(['shared_engines' => $shared, 'engines_built' => $built],
            array_intersect_key(Engine::processInfo(), ['engines_built' => 0, 'shared_engines' => 0]));
        self::assertCount(50, array_filter($again->auditEvents(), static fn (array $e): bool => $e['kind'] === 'agent_login_succeeded'));
        self::assertSame(getmypid(), Engine::processInfo()['pid']);
    }

    public function testKeyOrderDoesNotMatterButSettingsDo(): void
    {
        $config = self::sharedConfig(__FUNCTION__);
        $engine = Engine::shared($config);
        self::assertSame($engine->instanceId(), Engine::shared(array_reverse($config, true))->instanceId());
        self::assertNotSame($engine->instanceId(), Engine::shared(['access_token_ttl' => 600] + $config)->instanceId());
        self::assertNotSame($engine->instanceId(), (new Engine($config))->instanceId(), 'new Engine() is private');
    }

    public function testTokensOfOneObjectVerifyInAnother(): void
    {
        $config = self::sharedConfig(__FUNCTION__);
        $issuer = Engine::shared($config);
        self::seed($issuer);
        $token = self::login($issuer)['access_token'];
        self::assertSame('agent', Engine::shared($config)->verify($token, true)['kind']);
    }

    public function testAWorkerClosesItsSharedDatabasesWhenItExits(): void
    {
        preg_match('/\S*libagent_oauth_php\.so$/m', (string) file_get_contents('/proc/self/maps'), $so);
        $directory = sys_get_temp_dir() . '/agent-oauth-exit-' . getmypid();
        mkdir($directory);
        $config = var_export(self::config(['database_path' => "$directory/agent-oauth.db"]), true);
        $script = "AgentOauth\\Engine::shared($config)->installScopes();";
        exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=' . escapeshellarg($so[0]) . ' -r ' . escapeshellarg($script), $output, $status);
        $files = array_map('basename', glob("$directory/*"));
        array_map('unlink', glob("$directory/*"));
        rmdir($directory);

        self::assertSame(0, $status, implode("\n", $output));
        self::assertSame(['agent-oauth.db'], $files, 'the WAL is checkpointed and removed at module shutdown');
    }

    /** @requires extension pcntl */
    public function testAForkedChildBuildsItsOwnEngine(): void
    {
        $config = self::sharedConfig(__FUNCTION__);
        $parent = Engine::shared($config);
        $result = tempnam(sys_get_temp_dir(), 'agent-oauth-fork');
        $pid = pcntl_fork();
        if ($pid === 0) {
            $child = Engine::shared($config);
            file_put_contents($result, json_encode([
                'instance' => $child->instanceId(),
                'again' => Engine::shared($config)->instanceId(),
                'info' => Engine::processInfo(),
                'pid' => getmypid(),
            ]));
            // Leave without PHPUnit's shutdown handlers.
            posix_kill(getmypid(), SIGKILL);
        }
        pcntl_waitpid($pid, $status);
        $child = json_decode((string) file_get_contents($result), true);
        unlink($result);

        self::assertNotSame($parent->instanceId(), $child['instance'], 'rebuilt in the child');
        self::assertSame($child['instance'], $child['again'], 'then shared in the child');
        self::assertSame(['pid' => $child['pid'], 'shared_engines' => 1], array_intersect_key($child['info'], ['pid' => 0, 'shared_engines' => 0]));
        self::assertSame($parent->instanceId(), Engine::shared($config)->instanceId(), 'the parent keeps its engine');
    }
}
