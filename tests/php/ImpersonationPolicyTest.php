<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\ConfigurationException;
use AgentOauth\Engine;
use AgentOauth\ImpersonationFailedException;
use AgentOauth\InvalidRequestException;

/**
 * The impersonation policy and lifetime (issue 12, D30) through the PHP
 * extension: the configuration array's `impersonation` section, the
 * exceptions PHP code catches, the Glue handler's Spryker answers, and the
 * audit events naming the rule.
 */
final class ImpersonationPolicyTest extends TestCase
{
    private static function policyEngine(array $policy, array $more = []): Engine
    {
        return self::engine(['impersonation' => $policy] + $more);
    }

    public function testReasonRulesRaiseInvalidRequestWith901(): void
    {
        $engine = self::policyEngine(['require_reason' => true, 'reason_pattern' => '^[A-Z]+-[0-9]+$']);
        $agent = self::login($engine);
        foreach ([[null, 'reason => This value should not be blank.'], ['ticket 4711', 'reason => This value is not valid.']] as [$reason, $detail]) {
            try {
                $engine->impersonateCustomer($agent['access_token'], 'DE--5', $reason, IP);
                self::fail('a reason rule must refuse ' . var_export($reason, true));
            } catch (InvalidRequestException $e) {
                self::assertSame([$detail, '901', 422], [$e->getMessage(), $e->getGlueCode(), $e->getHttpStatus()]);
            }
        }
        $tokens = $engine->impersonateCustomer($agent['access_token'], 'DE--5', 'SUP-4711', IP);
        self::assertSame('impersonation', $engine->verify($tokens['access_token'], true)['kind']);
        $denied = array_values(array_filter($engine->auditEvents(), static fn (array $e): bool => $e['kind'] === 'impersonation_denied'));
        self::assertSame(
            ['require_reason: no reason given', 'reason_pattern: does not match ^[A-Z]+-[0-9]+$'],
            array_column($denied, 'policy'),
        );
    }

    public function testGlueHandlerAnswersSprykersShapes(): void
    {
        $engine = self::policyEngine(['require_reason' => true, 'max_active_sessions_per_agent' => 1]);
        $agent = self::login($engine)['access_token'];
        $impersonate = static fn (array $attributes): array => $engine->handleGlueRequest(
            'POST',
            '/agent-customer-impersonation-access-tokens',
            '',
            [['Content-Type', 'application/vnd.api+json'], ['X-Agent-Authorization', "Bearer $agent"]],
            self::body('agent-customer-impersonation-access-tokens', $attributes),
            IP,
        );
        $blank = $impersonate(['customerReference' => 'DE--5']);
        self::assertSame(422, $blank['status']);
        self::assertSame('{"errors":[{"code":"901","status":422,"detail":"reason => This value should not be blank."}]}', $blank['body']);
        self::assertSame(201, $impersonate(['customerReference' => 'DE--5', 'reason' => 'call'])['status']);
        $capped = $impersonate(['customerReference' => 'DE--1', 'reason' => 'call']);
        self::assertSame(401, $capped['status']);
        self::assertSame('{"errors":[{"code":"4104","status":401,"detail":"Failed to impersonate a customer."}]}', $capped['body']);
    }

    public function testCapsAndSessionAgeRaiseImpersonationFailed(): void
    {
        $engine = self::policyEngine(['max_starts_per_agent_per_hour' => 1]);
        $agent = self::login($engine);
        $engine->impersonateCustomer($agent['access_token'], 'DE--5', null, IP);
        try {
            $engine->impersonateCustomer($agent['access_token'], 'DE--1', null, IP);
            self::fail('the second start within the hour must be refused');
        } catch (ImpersonationFailedException $e) {
            self::assertSame(['4104', 401], [$e->getGlueCode(), $e->getHttpStatus()]);
        }
        $events = $engine->auditEvents();
        self::assertSame('1 started of 1 within the hour', $events[1]['policy']);
        self::assertSame('max_starts_per_agent_per_hour: 1 of 1 started within the hour', $events[2]['policy']);

        // The session age at a refresh: the engine's clock is the system's,
        // so the session is left to grow two seconds old.
        $aged = self::policyEngine(['max_session_seconds' => 1]);
        $agent = self::login($aged);
        $started = time();
        $impersonation = $aged->impersonateCustomer($agent['access_token'], 'DE--5', null, IP);
        while (time() < $started + 2) {
            usleep(50000);
        }
        try {
            $aged->refresh($impersonation['refresh_token'], IP);
            self::fail('a session past max_session_seconds must not be refreshed');
        } catch (ImpersonationFailedException $e) {
            self::assertSame(['4104', 401], [$e->getGlueCode(), $e->getHttpStatus()]);
        }
        $denied = array_values(array_filter($aged->auditEvents(), static fn (array $e): bool => $e['kind'] === 'impersonation_denied'));
        self::assertCount(1, $denied);
        self::assertMatchesRegularExpression('/^max_session_seconds: [0-9]+ s old, at most 1 s$/', $denied[0]['policy']);
    }

    public function testShortLifetimeAndDefaults(): void
    {
        $short = self::engine(['impersonation_access_token_ttl' => 900]);
        $agent = self::login($short);
        self::assertSame(28800, $agent['expires_in']);
        self::assertSame(900, $short->impersonateCustomer($agent['access_token'], 'DE--5', null, IP)['expires_in']);
        $default = self::engine();
        $agent = self::login($default);
        self::assertSame(28800, $default->impersonateCustomer($agent['access_token'], 'DE--5', null, IP)['expires_in']);
    }

    public function testCustomersWhoOptedOutAreRefusedFromTheTableAndFromADirectory(): void
    {
        $engine = self::engine();
        $engine->upsertCustomer(['id_customer' => 9, 'customer_reference' => 'DE--9', 'email' => 'o@example.com',
            'first_name' => 'O', 'last_name' => 'Out', 'impersonation_allowed' => false]);
        self::assertFalse($engine->findCustomer('DE--9')['impersonation_allowed']);
        self::assertTrue($engine->findCustomer('DE--5')['impersonation_allowed']);
        $agent = self::login($engine)['access_token'];
        try {
            $engine->impersonateCustomer($agent, 'DE--9', null, IP);
            self::fail('an opted-out customer must be refused');
        } catch (ImpersonationFailedException $e) {
            self::assertSame('4104', $e->getGlueCode());
        }

        // The same field from the shop's own directory (D19).
        $engine->setCustomerDirectory(static fn (string $reference): ?array => [
            'id_customer' => 5, 'customer_reference' => $reference, 'email' => 'k@example.com',
            'first_name' => 'K', 'last_name' => 'S', 'id_company_user' => null, 'permissions' => null,
            'is_active' => true, 'impersonation_allowed' => $reference !== 'DE--5',
        ]);
        $this->expectException(ImpersonationFailedException::class);
        $engine->impersonateCustomer($agent, 'DE--5', null, IP);
    }

    public function testBadPolicyValuesAreConfigurationErrors(): void
    {
        foreach ([
            [['impersonation' => ['max_active_sessions_per_agent' => 0]], 'impersonation.max_active_sessions_per_agent must be at least 1'],
            [['impersonation' => ['reason_pattern' => '([']], 'impersonation.reason_pattern is invalid'],
            [['impersonation' => ['require_reasons' => true]], 'unknown field `require_reasons`'],
        ] as [$config, $message]) {
            try {
                new Engine(self::config($config));
                self::fail('must be refused: ' . json_encode($config));
            } catch (ConfigurationException $e) {
                self::assertStringContainsString($message, $e->getMessage());
            }
        }
    }
}
