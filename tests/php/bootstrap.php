<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\Engine;

if (!extension_loaded('agent_oauth_php')) {
    fwrite(STDERR, "The agent_oauth_php extension is not loaded. Run php-ext/run-tests.sh, or:\n"
        . "  php -d extension=/abs/path/target/debug/libagent_oauth_php.so /usr/bin/phpunit -c tests/php/phpunit.xml\n");
    exit(1);
}

const ROOT = __DIR__ . '/../..';
/** The committed test-only signing key (D24): never trusted by a shop. */
const TEST_KEY = ROOT . '/core/tests/keys/test-only-private-key.pem';
const TEST_PUBLIC_KEY = ROOT . '/core/tests/keys/test-only-public-key.pem';
const OTHER_KEY = ROOT . '/core/tests/keys/test-only-other-private-key.pem';

const AGENT = 'admin@spryker.com';
const PASSWORD = 'change123';
const IP = '127.0.0.1';
const AGENT_SUB = '{"id_company_user":null,"id_agent":1,"customer_reference":null,"id_customer":null,"permissions":null}';
const CUSTOMER_SUB = '{"id_company_user":null,"id_agent":null,"customer_reference":"DE--5","id_customer":5,"permissions":null}';

abstract class TestCase extends \PHPUnit\Framework\TestCase
{
    /**
     * A configuration for a private in-memory database with the test key
     * and cheap argon2 parameters (D24), plus $overrides.
     */
    protected static function config(array $overrides = []): array
    {
        return array_replace([
            'database_path' => ':memory:',
            'private_key_path' => TEST_KEY,
            'argon2' => ['memory_kib' => 256, 'iterations' => 1, 'parallelism' => 1],
        ], $overrides);
    }

    /** @return list<array<string, mixed>> the customers every engine of the tests knows */
    protected static function customers(): array
    {
        $customer = static fn (int $id, string $email, string $first, string $last, bool $active = true): array => [
            'id_customer' => $id,
            'customer_reference' => "DE--$id",
            'email' => $email,
            'first_name' => $first,
            'last_name' => $last,
            'id_company_user' => null,
            'permissions' => null,
            'is_active' => $active,
            'impersonation_allowed' => true,
        ];
        return [
            $customer(1, 'sonia@spryker.com', 'Sonia', 'Wagner'),
            $customer(2, 'maria.williams@spryker.com', 'Maria', 'Williams'),
            $customer(3, 'bill.martin@spryker.com', 'Bill', 'Martin'),
            $customer(4, 'anonymized@spryker.com', 'Anonymized', 'Customer', false),
            $customer(5, 'spencor.hopkin@spryker.com', 'Spencor', 'Hopkin'),
        ];
    }

    /** An engine with the scopes, agent 1 (admin@spryker.com / change123) and the customers. */
    protected static function engine(array $overrides = []): Engine
    {
        $engine = new Engine(self::config($overrides));
        self::seed($engine);
        return $engine;
    }

    protected static function seed(Engine $engine): void
    {
        $engine->installScopes();
        $engine->addAgent(AGENT, PASSWORD);
        foreach (self::customers() as $customer) {
            $engine->upsertCustomer($customer);
        }
    }

    /** An agent's token response. */
    protected static function login(Engine $engine): array
    {
        return $engine->agentLogin(AGENT, PASSWORD, IP);
    }

    /** @return array{0: array, 1: array, 2: string, 3: string} header, claims (decoded in order), signing input, signature */
    protected static function jwt(string $token): array
    {
        $parts = explode('.', $token);
        self::assertCount(3, $parts);
        $decode = static fn (string $part): string => base64_decode(strtr($part, '-_', '+/'), true);
        return [
            json_decode($decode($parts[0]), true, 512, JSON_THROW_ON_ERROR),
            json_decode($decode($parts[1]), true, 512, JSON_THROW_ON_ERROR),
            $parts[0] . '.' . $parts[1],
            $decode($parts[2]),
        ];
    }

    protected static function base64url(string $bytes): string
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }

    /** A JSON:API body. */
    protected static function body(string $type, array $attributes): string
    {
        return json_encode(['data' => ['type' => $type, 'attributes' => $attributes]], JSON_THROW_ON_ERROR);
    }
}
