<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\AgentOnlyException;
use AgentOauth\AuthenticationFailedException;
use AgentOauth\ConfigurationException;
use AgentOauth\DirectoryException;
use AgentOauth\Engine;
use AgentOauth\Exception;
use AgentOauth\ImpersonationFailedException;
use AgentOauth\InternalException;
use AgentOauth\InvalidAccessTokenException;
use AgentOauth\InvalidRequestException;
use AgentOauth\RefreshFailedException;
use AgentOauth\TooManyAttemptsException;

final class ExceptionsTest extends TestCase
{
    /** @return array<string, array{0: class-string, 1: class-string, 2: ?string, 3: int}> */
    public static function classes(): array
    {
        return [
            'base' => [Exception::class, \Exception::class, null, 500],
            '4101' => [AuthenticationFailedException::class, Exception::class, '4101', 401],
            '001' => [InvalidAccessTokenException::class, Exception::class, '001', 401],
            '4103' => [AgentOnlyException::class, Exception::class, '4103', 401],
            '4104' => [ImpersonationFailedException::class, Exception::class, '4104', 401],
            '4401' => [TooManyAttemptsException::class, Exception::class, '4401', 429],
            '004' => [RefreshFailedException::class, Exception::class, '004', 401],
            '901' => [InvalidRequestException::class, Exception::class, '901', 422],
            'configuration' => [ConfigurationException::class, Exception::class, null, 500],
            'internal' => [InternalException::class, Exception::class, null, 500],
            'directory' => [DirectoryException::class, InternalException::class, null, 500],
        ];
    }

    /** @dataProvider classes */
    public function testEachClassHasItsParentGlueCodeAndStatus(string $class, string $parent, ?string $glue, int $status): void
    {
        self::assertSame($parent, get_parent_class($class));
        $e = new $class('made in PHP', 3);
        self::assertInstanceOf(\Throwable::class, $e);
        self::assertSame($glue, $e->getGlueCode());
        self::assertSame($status, $e->getHttpStatus());
        self::assertSame(['made in PHP', 3], [$e->getMessage(), $e->getCode()]);
    }

    public function testPhpCodeMayExtendTheClasses(): void
    {
        $e = new class ('custom') extends AuthenticationFailedException {
            protected $glueCode = '4199';
        };
        self::assertSame(['4199', 401], [$e->getGlueCode(), $e->getHttpStatus()]);
    }

    /** Asserts class, message, code, Glue code and HTTP status of what $call throws. */
    private static function assertThrows(callable $call, string $class, string $message, ?string $glue, int $status): \Throwable
    {
        try {
            $call();
        } catch (\Throwable $e) {
            self::assertSame($class, get_class($e), (string) $e);
            self::assertSame($message, $e->getMessage());
            self::assertSame($glue, $e->getGlueCode());
            self::assertSame($glue === null ? 0 : (int) $glue, $e->getCode());
            self::assertSame($status, $e->getHttpStatus());
            return $e;
        }
        self::fail("nothing thrown, expected $class");
    }

    public function testAuthenticationFailed4101(): void
    {
        $engine = self::engine();
        self::assertThrows(fn () => $engine->agentLogin(AGENT, 'wrong', IP), AuthenticationFailedException::class,
            'Failed to authenticate an agent.', '4101', 401);
        self::assertThrows(fn () => $engine->agentLogin('', '', IP), AuthenticationFailedException::class,
            'Failed to authenticate an agent.', '4101', 401);
    }

    public function testInvalidAccessToken001(): void
    {
        $engine = self::engine();
        self::assertThrows(fn () => $engine->verify('not.a.token'), InvalidAccessTokenException::class,
            'Invalid access token.', '001', 401);
        $foreign = self::login(self::engine(['private_key_path' => OTHER_KEY]))['access_token'];
        self::assertThrows(fn () => $engine->impersonateCustomer($foreign, 'DE--5', null, IP),
            InvalidAccessTokenException::class, 'Invalid access token.', '001', 401);
    }

    public function testAgentOnly4103(): void
    {
        $engine = self::engine();
        $customer = $engine->impersonateCustomer(self::login($engine)['access_token'], 'DE--5', null, IP);
        self::assertThrows(fn () => $engine->impersonateCustomer($customer['access_token'], 'DE--1', null, IP),
            AgentOnlyException::class, 'Action is available to agent user only.', '4103', 401);
    }

    public function testImpersonationFailed4104(): void
    {
        $engine = self::engine();
        $agent = self::login($engine)['access_token'];
        foreach (['DE--404', '', 'DE--4'] as $reference) {
            self::assertThrows(fn () => $engine->impersonateCustomer($agent, $reference, null, IP),
                ImpersonationFailedException::class, 'Failed to impersonate a customer.', '4104', 401);
        }
    }

    public function testTooManyAttempts4401WithTheSecondsToWait(): void
    {
        $engine = self::engine();
        for ($i = 1; $i <= 9; $i++) {
            self::assertThrows(fn () => $engine->agentLogin(AGENT, 'wrong', '10.0.0.9'), AuthenticationFailedException::class,
                'Failed to authenticate an agent.', '4101', 401);
        }
        $e = self::assertThrows(fn () => $engine->agentLogin(AGENT, PASSWORD, '10.0.0.9'), TooManyAttemptsException::class,
            'Too many log in attempts from your address. Please wait 6 minutes before trying again.', '4401', 429);
        self::assertContains($e->getRetryAfter(), [359, 360], 'the 360 s block, less a second boundary');
        self::assertSame('Bearer', $engine->agentLogin(AGENT, PASSWORD, '10.0.0.10')['token_type'], 'keyed by IP');
    }

    public function testRefreshFailed004(): void
    {
        $engine = self::engine();
        foreach (['ao1_' . str_repeat('A', 43), 'def50200abcdef', ''] as $token) {
            self::assertThrows(fn () => $engine->refresh($token, IP), RefreshFailedException::class,
                'Failed to refresh token.', '004', 401);
        }
    }

    public function testInvalidRequest901(): void
    {
        $engine = self::engine();
        $agent = self::login($engine)['access_token'];
        self::assertThrows(fn () => $engine->impersonateCustomer($agent, 'DE--5', str_repeat('r', 1025), IP),
            InvalidRequestException::class, 'reason => This value is too long. It should have 1024 bytes or less.', '901', 422);
        self::assertThrows(fn () => $engine->addAgent('', 'x'), InvalidRequestException::class,
            'username must not be empty', '901', 422);
        self::assertThrows(fn () => $engine->setAgentStatus(1, 'sleeping'), InvalidRequestException::class,
            'status must be active, blocked or deleted, not "sleeping"', '901', 422);
        self::assertThrows(fn () => $engine->auditEvents(['agent' => 1]), InvalidRequestException::class,
            'unknown audit filter `agent`', '901', 422);
    }

    public function testConfigurationErrors(): void
    {
        self::assertThrows(fn () => new Engine(self::config(['acces_token_ttl' => 60])), ConfigurationException::class,
            'Configuration error: invalid configuration: unknown field `acces_token_ttl`, expected one of `database_path`, '
            . '`database_url`, `table_prefix`, `upgrade_schema`, `private_key_pem`, `private_key_path`, `previous_public_keys_pem`, '
            . '`previous_public_key_paths`, `client_id`, `access_token_ttl`, `impersonation_access_token_ttl`, `impersonation`, `refresh_token_ttl`, `refresh_reuse_grace`, '
            . '`leeway`, `argon2`, `lockout`, `password_pool`, `trusted_proxies`, `pool_size`, '
            . '`busy_timeout_ms`, `glue_base_url`, `glue_max_body_bytes`', null, 500);
        self::assertThrows(fn () => new Engine(['database_path' => ':memory:']), ConfigurationException::class,
            'Configuration error: no signing key: set private_key_pem or private_key_path (the shop\'s OAuth private key)', null, 500);
        self::assertThrows(fn () => new Engine(self::config(['private_key_path' => ROOT . '/core/tests/keys/test-only-1024-private-key.pem'])),
            ConfigurationException::class, 'Configuration error: unusable RSA private key: InvalidEncoding', null, 500);
        self::assertThrows(fn () => new Engine(self::config(['access_token_ttl' => '900'])), ConfigurationException::class,
            'Configuration error: invalid configuration: invalid type: string "900", expected u64', null, 500);
        self::assertThrows(fn () => Engine::shared(self::config(['client_id' => ''])), ConfigurationException::class,
            'Configuration error: client_id must not be empty', null, 500);
    }

    public function testInternalErrorForAnUnopenableDatabase(): void
    {
        $e = self::assertThrows(fn () => new Engine(self::config(['database_path' => '/nonexistent/dir/agent-oauth.db'])),
            InternalException::class, 'Storage error: SQLite: unable to open database file: /nonexistent/dir/agent-oauth.db', null, 500);
        self::assertInstanceOf(Exception::class, $e);
    }

    public function testDirectoryErrorKeepsTheCallablesException(): void
    {
        $engine = self::engine();
        $thrown = new \DomainException('spy_user is unreachable', 77);
        $engine->setAgentDirectory(static function () use ($thrown): ?array {
            throw $thrown;
        });
        $e = self::assertThrows(fn () => $engine->agentLogin(AGENT, PASSWORD, IP), DirectoryException::class,
            'Directory error: the agent directory callable threw DomainException: spy_user is unreachable', null, 500);
        self::assertInstanceOf(InternalException::class, $e);
        self::assertSame($thrown, $e->getPrevious());
    }

    public function testExceptionsPointAtTheCallingLine(): void
    {
        $engine = self::engine();
        try {
            $line = __LINE__ + 1;
            $engine->verify('x');
        } catch (InvalidAccessTokenException $e) {
            self::assertSame([__FILE__, $line], [$e->getFile(), $e->getLine()]);
        }
    }
}
