<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

final class ModuleTest extends TestCase
{
    public function testPhpinfoShowsVersionCryptoBackendAndSqlite(): void
    {
        ob_start();
        phpinfo(INFO_MODULES);
        $info = (string) ob_get_clean();
        self::assertStringContainsString("agent_oauth support => enabled\n", $info);
        self::assertStringContainsString('agent_oauth version => ' . \AgentOauth\VERSION . "\n", $info);
        self::assertStringContainsString("crypto backend => aws-lc-rs\n", $info);
        self::assertMatchesRegularExpression('/^SQLite version => 3\.\d+\.\d+$/m', $info);
        self::assertMatchesRegularExpression('/^shared engines => \d+$/m', $info);
    }

    public function testTheVersionIsTheExtensions(): void
    {
        self::assertSame(phpversion('agent_oauth_php'), \AgentOauth\VERSION);
        self::assertMatchesRegularExpression('/^\d+\.\d+\.\d+$/', \AgentOauth\VERSION);
    }

    public function testTheStubDocumentsExactlyWhatTheExtensionExposes(): void
    {
        $dump = ROOT . '/php-ext/tools/dump-api.php';
        $stub = ROOT . '/php-ext/agent_oauth.stub.php';
        $extension = (static function () use ($dump): string {
            $argv = [$dump];
            ob_start();
            require $dump;
            return (string) ob_get_clean();
        })();
        exec(escapeshellarg(PHP_BINARY) . ' -n ' . escapeshellarg($dump) . ' ' . escapeshellarg($stub) . ' 2>&1', $lines, $status);
        self::assertSame(0, $status, implode("\n", $lines));
        self::assertSame($extension, implode("\n", $lines) . "\n");
    }
}
