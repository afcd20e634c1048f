<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\Engine;

/**
 * Memory of a long-lived PHP worker (issue 10): agent logins with the
 * DEFAULT argon2 parameters (m=19456 KiB, t=2, p=1) in one process. Each
 * verification hashes into memory the engine maps for it and returns to the
 * system afterwards, so RSS after 1,000 logins stays within 4 MiB of its
 * value after the first 10. RSS comes from /proc/self/statm, because
 * memory_get_usage() cannot see Rust allocations (D21).
 */
final class MemoryTest extends TestCase
{
    private const LOGINS = 1000;
    private const LIMIT_KIB = 4 * 1024;

    private ?string $dir = null;

    protected function tearDown(): void
    {
        if ($this->dir !== null) {
            array_map('unlink', glob($this->dir . '/*') ?: []);
            rmdir($this->dir);
        }
    }

    /** Resident set size in KiB: the second field of /proc/self/statm, in 4 KiB pages. */
    private static function rssKib(): int
    {
        $fields = explode(' ', trim((string) file_get_contents('/proc/self/statm')));
        self::assertGreaterThanOrEqual(2, count($fields));
        return intdiv((int) $fields[1] * 4096, 1024);
    }

    public function testRssStaysWithin4MibOver1000AgentLoginsWithDefaultArgon2(): void
    {
        if (!is_readable('/proc/self/statm')) {
            self::markTestSkipped('needs /proc/self/statm (Linux)');
        }
        $this->dir = sys_get_temp_dir() . '/agent-oauth-memory-' . bin2hex(random_bytes(6));
        self::assertTrue(mkdir($this->dir));
        // No 'argon2' key: the defaults, as a shop runs them. A database
        // file, as a PHP-FPM worker would use.
        $engine = new Engine([
            'database_path' => $this->dir . '/agent-oauth.db',
            'private_key_path' => TEST_KEY,
        ]);
        $engine->installScopes();
        $engine->addAgent(AGENT, PASSWORD);

        $afterTen = 0;
        $started = hrtime(true);
        for ($i = 1; $i <= self::LOGINS; $i++) {
            $tokens = $engine->agentLogin(AGENT, PASSWORD, IP);
            if ($tokens['token_type'] !== 'Bearer') {
                self::fail("login $i: " . json_encode($tokens));
            }
            if ($i === 10) {
                $afterTen = self::rssKib();
            }
        }
        $end = self::rssKib();
        $seconds = (hrtime(true) - $started) / 1e9;

        $figures = sprintf(
            'RSS %d KiB after 10 logins, %d KiB after %d (%+d KiB); %.1f ms per login',
            $afterTen,
            $end,
            self::LOGINS,
            $end - $afterTen,
            $seconds * 1000 / self::LOGINS,
        );
        // The figures for RELIABILITY.md; stderr, as PHPUnit refuses test output.
        fwrite(STDERR, "\nMemoryTest: $figures\n");
        self::assertLessThanOrEqual(self::LIMIT_KIB, abs($end - $afterTen), $figures);
    }
}
