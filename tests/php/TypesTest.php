<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\AgentOauthUserProvider;
use AgentOauth\ConfigurationException;
use AgentOauth\Engine;

/** Wrong argument types are TypeErrors; nothing crashes PHP (D21). */
final class TypesTest extends TestCase
{
    /** @return array<string, array{0: callable(Engine): mixed, 1: string}> */
    public static function wrongArguments(): array
    {
        return [
            'int username' => [fn (Engine $e) => $e->agentLogin(1, PASSWORD, IP), 'username'],
            'null password' => [fn (Engine $e) => $e->agentLogin(AGENT, null, IP), 'password'],
            'array client IP' => [fn (Engine $e) => $e->agentLogin(AGENT, PASSWORD, []), 'clientIp'],
            'int reason' => [fn (Engine $e) => $e->impersonateCustomer('t', 'DE--5', 5, IP), 'reason'],
            'string strict' => [fn (Engine $e) => $e->verify('t', 'yes'), 'strict'],
            'numeric string agent id' => [fn (Engine $e) => $e->revokeAllForAgent('1'), 'agentId'],
            'float agent id' => [fn (Engine $e) => $e->setAgentStatus(1.5, 'active'), 'agentId'],
            'string headers' => [fn (Engine $e) => $e->handleGlueRequest('GET', '/', '', 'Accept: */*', '', IP), 'headers'],
            'int body' => [fn (Engine $e) => $e->handleGlueRequest('GET', '/', '', [], 5, IP), 'body'],
            'string customer' => [fn (Engine $e) => $e->upsertCustomer('DE--5'), 'customer'],
            'invalid UTF-8 username' => [fn (Engine $e) => $e->agentLogin("admin\xff", PASSWORD, IP), 'username'],
        ];
    }

    /** @dataProvider wrongArguments */
    public function testWrongArgumentTypesAreTypeErrors(callable $call, string $argument): void
    {
        $this->expectException(\TypeError::class);
        $this->expectExceptionMessage("Invalid value given for argument `$argument`.");
        $call(self::engine());
    }

    public function testMissingArgumentsAreArgumentCountErrors(): void
    {
        $this->expectException(\ArgumentCountError::class);
        self::engine()->agentLogin(AGENT);
    }

    /** @return array<string, array{0: array}> */
    public static function malformedHeaders(): array
    {
        return [
            'a pair of one' => [[['Authorization']]],
            'a pair with an int value' => [[['X-Count', 5]]],
            'an int value' => [['X-Count' => 5]],
            'a nested list' => [['Accept' => [['a']]]],
            'a list of strings' => [['Accept: */*']],
        ];
    }

    /** @dataProvider malformedHeaders */
    public function testMalformedHeadersAreTypeErrors(array $headers): void
    {
        $this->expectException(\TypeError::class);
        $this->expectExceptionMessage('headers must be a list of [name, value] pairs or an array of name => value');
        self::engine()->handleGlueRequest('GET', '/agent-customer-search', '', $headers, '', IP);
    }

    public function testAnObjectWhereAnEngineIsExpected(): void
    {
        $this->expectException(\TypeError::class);
        new AgentOauthUserProvider(new \stdClass());
    }

    public function testConfigurationValuesOfTheWrongShape(): void
    {
        $self = ['x' => 1];
        $self['self'] = &$self;
        foreach ([
            [['argon2' => [256, 1, 1]], 'Configuration error: invalid configuration: expected a JSON object (and objects for argon2, lockout, password_pool and impersonation)'],
            [['client_id' => new \stdClass()], 'Configuration error: invalid configuration: `client_id` has the unsupported type Object'],
            [['leeway' => NAN], 'Configuration error: invalid configuration: `leeway` is not a finite number'],
            [['glue_base_url' => $self], 'Configuration error: invalid configuration: `glue_base_url' . str_repeat('.self', 64) . '` is nested too deeply'],
        ] as [$override, $message]) {
            try {
                new Engine(self::config($override));
                self::fail('expected a ConfigurationException');
            } catch (ConfigurationException $e) {
                self::assertSame($message, $e->getMessage());
            }
        }
    }

    public function testBinaryBodiesAndHeadersAreSafe(): void
    {
        $engine = self::engine();
        $response = $engine->handleGlueRequest('POST', '/agent-access-tokens', '', [['X-Raw', "a\0b"]], "\x00\xff{\"data\"", IP);
        self::assertSame(400, $response['status']);
        $response = $engine->handleGlueRequest('POST', '/agent-access-tokens', '', [],
            self::body('agent-access-tokens', ['username' => "adm\u{0000}in", 'password' => PASSWORD]), IP);
        self::assertSame(401, $response['status']);
    }

    public function testEnginesCannotBeClonedOrSerialized(): void
    {
        $engine = self::engine();
        try {
            $copy = clone $engine;
            self::fail('cloned');
        } catch (\Error $e) {
            self::assertSame('Trying to clone an uncloneable object of class AgentOauth\Engine', $e->getMessage());
        }
        $this->expectException(\Exception::class);
        $this->expectExceptionMessage("Serialization of 'AgentOauth\\Engine' is not allowed");
        serialize($engine);
    }

    public function testTheClassesAreFinal(): void
    {
        foreach (['Engine', 'AgentOauthUserProvider', 'AgentOauthScopeProvider', 'AgentCredentialsOauthGrantTypeConfigurationProvider',
            'AgentOauthScopeInstaller', 'CustomerImpersonationOauthUserProvider', 'CustomerImpersonationOauthScopeProvider'] as $class) {
            self::assertTrue((new \ReflectionClass("AgentOauth\\$class"))->isFinal(), $class);
        }
    }
}
