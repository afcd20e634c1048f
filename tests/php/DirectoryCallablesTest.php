<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\AuthenticationFailedException;
use AgentOauth\DirectoryException;
use AgentOauth\Engine;
use AgentOauth\ImpersonationFailedException;

/** The shop's own tables as the source of truth (D19). */
final class DirectoryCallablesTest extends TestCase
{
    /** spy_user, as the host would read it. */
    private static function spyUser(string $status = 'active'): array
    {
        static $hash = null;
        $hash ??= password_hash('from the shop', PASSWORD_BCRYPT, ['cost' => 4]);
        return ['id' => 42, 'username' => 'agent@shop.example', 'password_hash' => $hash, 'status' => $status];
    }

    private static function customer(string $reference, bool $active = true): array
    {
        return [
            'id_customer' => 900,
            'customer_reference' => $reference,
            'email' => 'host@shop.example',
            'first_name' => 'Host',
            'last_name' => 'Customer',
            'id_company_user' => 'dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a',
            'permissions' => ['permissions' => [['key' => 'ReadSharedCartPermissionPlugin']]],
            'is_active' => $active,
            'impersonation_allowed' => true,
        ];
    }

    public function testTheHostsAgentsAndCustomersAreUsed(): void
    {
        $engine = self::engine();
        $asked = [];
        $engine->setAgentDirectory(static function (string $username) use (&$asked): ?array {
            $asked[] = $username;
            return $username === 'agent@shop.example' ? self::spyUser() : null;
        });
        $engine->setCustomerDirectory(static function (string $reference) use (&$asked): ?array {
            $asked[] = $reference;
            return $reference === 'SHOP--1' ? self::customer('SHOP--1') : null;
        });

        $agent = $engine->agentLogin('agent@shop.example', 'from the shop', IP);
        self::assertSame(42, $engine->verify($agent['access_token'], true)['agent_id']);
        $customer = $engine->impersonateCustomer($agent['access_token'], 'SHOP--1', null, IP);
        self::assertSame(
            '{"id_company_user":"dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a","id_agent":null,"customer_reference":"SHOP--1",'
            . '"id_customer":900,"permissions":{"permissions":[{"key":"ReadSharedCartPermissionPlugin"}]}}',
            $engine->verify($customer['access_token'])['sub'],
        );
        self::assertSame(self::customer('SHOP--1'), $engine->findCustomer('SHOP--1'));
        self::assertContains('agent@shop.example', $asked);
        self::assertContains('SHOP--1', $asked);

        // The engine's own agent is not the host's.
        $this->expectException(AuthenticationFailedException::class);
        $engine->agentLogin(AGENT, PASSWORD, IP);
    }

    public function testInactiveHostRecordsAreRefused(): void
    {
        $engine = self::engine();
        $engine->setAgentDirectory(static fn (): array => self::spyUser('blocked'));
        $engine->setCustomerDirectory(static fn (string $r): array => self::customer($r, false));
        try {
            $engine->agentLogin('agent@shop.example', 'from the shop', IP);
            self::fail('a blocked agent must not log in');
        } catch (AuthenticationFailedException $e) {
            self::assertSame('4101', $e->getGlueCode());
        }
        $engine->clearDirectories();
        $agent = self::login($engine)['access_token'];
        $engine->setCustomerDirectory(static fn (string $r): array => self::customer($r, false));
        $this->expectException(ImpersonationFailedException::class);
        $engine->impersonateCustomer($agent, 'SHOP--1', null, IP);
    }

    public function testTheSearchCallableGetsTheAppliedPage(): void
    {
        $engine = self::engine();
        $calls = [];
        $engine->setCustomerDirectory(
            static fn (string $r): ?array => null,
            static function (string $q, int $offset, int $limit) use (&$calls): array {
                $calls[] = [$q, $offset, $limit];
                return ['customers' => [self::customer('SHOP--1')], 'total' => 31];
            },
        );
        $page = $engine->searchCustomers('Ho', 25, 10);
        self::assertSame([['Ho', 20, 10]], $calls);
        self::assertSame([[self::customer('SHOP--1')], 31, 20, 10], array_values($page));

        $agent = $engine->agentLogin(AGENT, PASSWORD, IP)['access_token'];
        $response = $engine->handleGlueRequest('GET', '/agent-customer-search', 'q=Ho', ['Authorization' => "Bearer $agent"], '', IP);
        self::assertSame(200, $response['status']);
        self::assertSame(['Ho', 0, 10], $calls[1]);
        self::assertSame('SHOP--1', json_decode($response['body'], true)['data'][0]['attributes']['customers'][0]['customerReference']);
    }

    public function testAThrowingCallableIsADirectoryErrorNeverAFailedLogin(): void
    {
        $engine = self::engine();
        $engine->setAgentDirectory(static function (string $username): ?array {
            throw new \RuntimeException("lost connection while looking up $username", 2006);
        });
        for ($i = 0; $i < 12; $i++) {
            try {
                $engine->agentLogin(AGENT, 'wrong', '10.9.9.9');
                self::fail('expected a DirectoryException');
            } catch (DirectoryException $e) {
                self::assertSame(
                    'Directory error: the agent directory callable threw RuntimeException: lost connection while looking up admin@spryker.com',
                    $e->getMessage(),
                );
                self::assertInstanceOf(\RuntimeException::class, $e->getPrevious());
                self::assertSame(2006, $e->getPrevious()->getCode());
            }
        }
        self::assertSame([], array_filter($engine->auditEvents(), static fn (array $e): bool => $e['code'] === '4101'));

        // Not counted toward lockout (D19): the engine's own agent logs in from that IP.
        $engine->clearDirectories();
        self::assertSame('Bearer', $engine->agentLogin(AGENT, PASSWORD, '10.9.9.9')['token_type']);

        // In the Glue handler, the same failure is a JSON:API 500.
        $engine->setAgentDirectory(static function (): array {
            throw new \LogicException('down');
        });
        $response = $engine->handleGlueRequest('POST', '/agent-access-tokens', '', [],
            self::body('agent-access-tokens', ['username' => AGENT, 'password' => PASSWORD]), IP);
        self::assertSame(
            [500, '{"errors":[{"status":500,"detail":"Internal Server Error"}]}'],
            [$response['status'], $response['body']]
        );
    }

    public function testACustomerCallableThatThrowsFailsImpersonation(): void
    {
        $engine = self::engine();
        $agent = self::login($engine)['access_token'];
        $engine->setCustomerDirectory(static function (): array {
            throw new \DomainException('customer service unavailable');
        });
        try {
            $engine->impersonateCustomer($agent, 'DE--5', null, IP);
            self::fail('expected a DirectoryException');
        } catch (DirectoryException $e) {
            self::assertSame('Directory error: the customer directory callable threw DomainException: customer service unavailable', $e->getMessage());
            self::assertSame('customer service unavailable', $e->getPrevious()->getMessage());
        }
    }

    /** @return array<string, array{0: mixed, 1: string}> */
    public static function malformedAgents(): array
    {
        $prefix = 'Directory error: the agent directory callable ';
        $agent = ['id' => 42, 'username' => 'agent@shop.example', 'password_hash' => '$2y$04$x', 'status' => 'active'];
        return [
            'false' => [false, $prefix . 'must return an array or null, not False'],
            'a string' => ['agent@shop.example', $prefix . 'must return an array or null, not String'],
            'an object' => [(object) $agent, $prefix . 'must return an array or null, not Object'],
            'a string id' => [['id' => '42'] + $agent, $prefix . 'returned a malformed record: invalid type: string "42", expected i64'],
            'no hash' => [array_diff_key($agent, ['password_hash' => 0]), $prefix . 'returned a malformed record: missing field `password_hash`'],
            'unknown status' => [['status' => 'enabled'] + $agent, $prefix . 'returned a malformed record: unknown variant `enabled`, expected one of `active`, `blocked`, `deleted`'],
            'an extra column' => [$agent + ['is_agent' => true], $prefix . 'returned a malformed record: unknown field `is_agent`, expected one of `id`, `username`, `password_hash`, `status`'],
            'a list' => [[42, 'agent@shop.example', '$2y$04$x', 'active'], $prefix . 'must return an array with string keys (a record), not a list'],
            'an empty array' => [[], $prefix . 'must return an array with string keys (a record), not a list'],
            'invalid UTF-8' => [['username' => "a\xff"] + $agent, $prefix . 'returned an unusable array: `username` is not a UTF-8 string'],
        ];
    }

    /** @dataProvider malformedAgents */
    public function testAMalformedAnswerIsADirectoryError(mixed $answer, string $message): void
    {
        $engine = self::engine();
        $engine->setAgentDirectory(static fn (): mixed => $answer);
        try {
            $engine->agentLogin(AGENT, PASSWORD, IP);
            self::fail('expected a DirectoryException');
        } catch (DirectoryException $e) {
            self::assertSame($message, $e->getMessage());
            self::assertNull($e->getPrevious());
        }
    }

    public function testAMalformedSearchAnswerAndAMissingSearchCallable(): void
    {
        $engine = self::engine();
        $engine->setCustomerDirectory(static fn (): ?array => null, static fn (): array => ['customers' => []]);
        try {
            $engine->searchCustomers('x');
            self::fail('expected a DirectoryException');
        } catch (DirectoryException $e) {
            self::assertSame('Directory error: the customer search callable returned a malformed record: missing field `total`', $e->getMessage());
        }
        $engine->setCustomerDirectory(static fn (): ?array => null);
        $this->expectException(DirectoryException::class);
        $this->expectExceptionMessage('customer search needs the second callable of setCustomerDirectory()');
        $engine->searchCustomers('x');
    }

    public function testCallablesMayBeAnyPhpCallable(): void
    {
        $engine = self::engine();
        $directory = new class () {
            public function find(string $username): ?array
            {
                return null;
            }
        };
        foreach ([[$directory, 'find'], \Closure::fromCallable([$directory, 'find']), 'AgentOauth\Tests\no_agent'] as $callable) {
            $engine->setAgentDirectory($callable);
            try {
                $engine->agentLogin(AGENT, PASSWORD, IP);
                self::fail('no agent: 4101');
            } catch (AuthenticationFailedException $e) {
                self::assertSame(401, $e->getHttpStatus());
            }
        }
    }

    public function testNonCallablesAreTypeErrors(): void
    {
        $engine = self::engine();
        foreach (['no_such_function', 42, null, [new \stdClass(), 'nope']] as $notCallable) {
            try {
                $engine->setAgentDirectory($notCallable);
                self::fail('expected a TypeError');
            } catch (\TypeError $e) {
                self::assertSame('Invalid value given for argument `findByUsername`.', $e->getMessage());
            }
        }
        $this->expectException(\TypeError::class);
        $engine->setCustomerDirectory(static fn () => null, 'no_such_function');
    }

    public function testACallableThatCallsTheEngineIsRefused(): void
    {
        $engine = self::engine();
        $engine->setAgentDirectory(static function (string $username) use ($engine): ?array {
            $engine->findCustomer('DE--5');
            return null;
        });
        try {
            $engine->agentLogin(AGENT, PASSWORD, IP);
            self::fail('expected a DirectoryException');
        } catch (DirectoryException $e) {
            self::assertSame('Directory error: the agent directory callable threw AgentOauth\DirectoryException: '
                . 'Directory error: a directory callable must not call the engine (D19)', $e->getMessage());
            self::assertInstanceOf(DirectoryException::class, $e->getPrevious());
        }
        $engine->clearDirectories();
        self::assertSame('Bearer', self::login($engine)['token_type'], 'usable afterwards');
    }

    public function testCallablesBelongToTheirObject(): void
    {
        $config = self::config(['database_path' => ':memory:', 'client_id' => 'callables-' . __FUNCTION__]);
        $first = Engine::shared($config);
        self::seed($first);
        $second = Engine::shared($config);
        self::assertSame($first->instanceId(), $second->instanceId());

        $first->setAgentDirectory(static fn (): ?array => null);
        self::assertSame('Bearer', $second->agentLogin(AGENT, PASSWORD, IP)['token_type'], 'no callable: the database');
        $this->expectException(AuthenticationFailedException::class);
        $first->agentLogin(AGENT, PASSWORD, IP);
    }
}

function no_agent(string $username): ?array
{
    return null;
}
