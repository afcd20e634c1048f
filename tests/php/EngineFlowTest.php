<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\Engine;
use AgentOauth\InvalidAccessTokenException;
use AgentOauth\InvalidRequestException;
use AgentOauth\RefreshFailedException;

final class EngineFlowTest extends TestCase
{
    public function testFullFlowLoginImpersonateRefreshRevoke(): void
    {
        $engine = self::engine();

        $agent = self::login($engine);
        self::assertSame(['token_type', 'expires_in', 'access_token', 'refresh_token'], array_keys($agent));
        self::assertSame('Bearer', $agent['token_type']);
        self::assertSame(28800, $agent['expires_in']);
        self::assertMatchesRegularExpression('/^ao1_[A-Za-z0-9_-]{43}$/', $agent['refresh_token']);

        $claims = $engine->verify($agent['access_token'], true);
        self::assertSame(['aud', 'jti', 'iat', 'nbf', 'exp', 'sub', 'scopes', 'act', 'kind', 'agent_id'], array_keys($claims));
        self::assertSame('frontend', $claims['aud']);
        self::assertMatchesRegularExpression('/^[0-9a-f]{80}$/', $claims['jti']);
        self::assertSame(28800, $claims['exp'] - $claims['iat']);
        self::assertSame($claims['iat'], $claims['nbf']);
        self::assertSame(AGENT_SUB, $claims['sub']);
        self::assertSame(['agent'], $claims['scopes']);
        self::assertNull($claims['act']);
        self::assertSame('agent', $claims['kind']);
        self::assertSame(1, $claims['agent_id']);

        $customer = $engine->impersonateCustomer($agent['access_token'], 'DE--5', 'ticket 42', IP);
        $impersonation = $engine->verify($customer['access_token'], true);
        self::assertSame(CUSTOMER_SUB, $impersonation['sub']);
        self::assertSame(['customer_impersonation', 'customer'], $impersonation['scopes']);
        self::assertSame(['sub' => AGENT_SUB], $impersonation['act']);
        self::assertSame('impersonation', $impersonation['kind']);
        self::assertSame(1, $impersonation['agent_id']);
        self::assertLessThanOrEqual($claims['exp'], $impersonation['exp'], 'capped by the agent token (D4)');

        // Refresh rotates; the refreshed impersonation keeps act.
        $refreshed = $engine->refresh($customer['refresh_token'], IP);
        self::assertNotSame($customer['refresh_token'], $refreshed['refresh_token']);
        self::assertSame(['sub' => AGENT_SUB], $engine->verify($refreshed['access_token'], true)['act']);
        $agentRefreshed = $engine->refresh($agent['refresh_token'], IP);
        self::assertSame('agent', $engine->verify($agentRefreshed['access_token'], true)['kind']);

        // The spent token is refused, and its reuse revokes the family (D9).
        try {
            $engine->refresh($customer['refresh_token'], IP);
            self::fail('a spent refresh token must be refused');
        } catch (RefreshFailedException $e) {
            self::assertSame('004', $e->getGlueCode());
        }
        $this->expectException(RefreshFailedException::class);
        $engine->refresh($refreshed['refresh_token'], IP);
    }

    public function testRevokeEndsTheSessionAndItsTokens(): void
    {
        $engine = self::engine();
        $agent = self::login($engine);
        $customer = $engine->impersonateCustomer($agent['access_token'], 'DE--5', null, IP);

        self::assertSame(1, $engine->revoke($agent['access_token'], $customer['refresh_token'], IP));
        self::assertSame(0, $engine->revoke($agent['access_token'], 'ao1_' . str_repeat('A', 43), IP), 'unknown: nothing, no error');
        $engine->verify($customer['access_token']);
        try {
            $engine->verify($customer['access_token'], true);
            self::fail('the strict check must refuse a revoked session');
        } catch (InvalidAccessTokenException $e) {
            self::assertSame('001', $e->getGlueCode());
        }

        // An agent's "mine" ends its own session and the impersonations it started.
        $again = $engine->impersonateCustomer($agent['access_token'], 'DE--1', null, IP);
        self::assertSame(2, $engine->revokeMine($agent['access_token'], IP));
        $this->expectException(RefreshFailedException::class);
        $engine->refresh($again['refresh_token'], IP);
    }

    public function testAdministratorsRevokeByAgentAndByCustomer(): void
    {
        $engine = self::engine();
        $agent = self::login($engine);
        $engine->impersonateCustomer($agent['access_token'], 'DE--5', null, IP);
        $engine->impersonateCustomer($agent['access_token'], 'DE--1', null, IP);

        self::assertSame(1, $engine->revokeAllForCustomer('DE--5'));
        self::assertSame(0, $engine->revokeAllForCustomer('DE--5'));
        self::assertSame(2, $engine->revokeAllForAgent(1));
        self::assertSame(0, $engine->revokeAllForAgent(99));
    }

    public function testBlockingAnAgentRevokesItsSessions(): void
    {
        $engine = self::engine();
        $agent = self::login($engine);
        self::assertTrue($engine->setAgentStatus(1, 'blocked'));
        self::assertFalse($engine->setAgentStatus(99, 'blocked'));
        try {
            $engine->verify($agent['access_token'], true);
            self::fail('a blocked agent has no live session');
        } catch (InvalidAccessTokenException $e) {
            self::assertSame(401, $e->getHttpStatus());
        }
        self::assertTrue($engine->setAgentStatus(1, 'active'));
        self::assertTrue($engine->setAgentPassword(1, 'new password'));
        self::assertSame('Bearer', $engine->agentLogin(AGENT, 'new password', IP)['token_type']);
    }

    public function testImportedBcryptAgentLogsIn(): void
    {
        $engine = self::engine();
        $hash = password_hash('from spryker', PASSWORD_BCRYPT, ['cost' => 4]);
        self::assertSame(7, $engine->importAgent(7, 'imported@spryker.com', $hash));
        $claims = $engine->verify($engine->agentLogin('imported@spryker.com', 'from spryker', IP)['access_token']);
        self::assertSame(7, $claims['agent_id']);
    }

    public function testSearchCustomersPagesAsSpryker(): void
    {
        $engine = self::engine();
        $page = $engine->searchCustomers('mar');
        self::assertSame(['customers', 'total', 'offset', 'limit'], array_keys($page));
        self::assertSame(['DE--2', 'DE--3'], array_column($page['customers'], 'customer_reference'));
        self::assertSame(self::customers()[1], $page['customers'][0]);
        self::assertSame([2, 0, 10], [$page['total'], $page['offset'], $page['limit']]);

        $all = $engine->searchCustomers(null, 3, 2);
        self::assertSame([5, 2, 2], [$all['total'], $all['offset'], $all['limit']], 'offset rounded down to a page');
        self::assertSame(['DE--3', 'DE--4'], array_column($all['customers'], 'customer_reference'));
        self::assertSame(100, $engine->searchCustomers('', 0, 1000)['limit']);
        self::assertSame(0, $engine->searchCustomers('', 4)['offset'], 'offset without limit is ignored');
        try {
            $engine->searchCustomers('', 0, 0);
            self::fail('a limit of 0 is invalid paging (D14)');
        } catch (InvalidRequestException $e) {
            self::assertSame(['Pagination parameters are invalid.', '901', 422],
                [$e->getMessage(), $e->getGlueCode(), $e->getHttpStatus()]);
        }
        self::assertSame(self::customers()[4], $engine->findCustomer('DE--5'));
        self::assertNull($engine->findCustomer('DE--404'));
    }

    public function testIntrospectionWithAnAgentToken(): void
    {
        $engine = self::engine();
        $agent = self::login($engine);
        $customer = $engine->impersonateCustomer($agent['access_token'], 'DE--5', null, IP);

        $answer = $engine->introspect('Bearer ' . $agent['access_token'], $customer['access_token']);
        self::assertSame(['active', 'scope', 'client_id', 'token_type', 'exp', 'iat', 'nbf', 'sub', 'aud', 'jti', 'act'], array_keys($answer));
        self::assertTrue($answer['active']);
        self::assertSame('customer_impersonation customer', $answer['scope']);
        self::assertSame(['sub' => AGENT_SUB], $answer['act']);
        self::assertSame(['active' => false], $engine->introspect('Bearer ' . $agent['access_token'], 'garbage'));
        self::assertSame('refresh_token', $engine->introspect('Bearer ' . $agent['access_token'], $customer['refresh_token'])['token_type']);

        $engine->setClientSecret('back-office', 'Back office', 's3cret');
        self::assertTrue($engine->authenticateClient('back-office', 's3cret'));
        self::assertFalse($engine->authenticateClient('back-office', 'wrong'));
        self::assertTrue($engine->introspect('Basic ' . base64_encode('back-office:s3cret'), $agent['access_token'])['active']);
        $this->expectException(InvalidAccessTokenException::class);
        $engine->introspect(null, $agent['access_token']);
    }

    public function testAuditEventsRecordTheFlow(): void
    {
        $engine = self::engine();
        $agent = self::login($engine);
        $engine->impersonateCustomer($agent['access_token'], 'DE--5', 'ticket 42', '10.1.2.3');

        $events = $engine->auditEvents();
        self::assertSame(['agent_login_succeeded', 'impersonation_started'], array_column($events, 'kind'));
        self::assertSame(['id', 'at', 'kind', 'agent_id', 'agent_username', 'customer_reference', 'client_ip', 'jti', 'reason', 'code', 'policy'], array_keys($events[1]));
        self::assertSame([1, AGENT, 'DE--5', '10.1.2.3', 'ticket 42'], [
            $events[1]['agent_id'], $events[1]['agent_username'], $events[1]['customer_reference'],
            $events[1]['client_ip'], $events[1]['reason'],
        ]);
        self::assertSame(['impersonation_started'], array_column($engine->auditEvents(['customer_reference' => 'DE--5']), 'kind'));
        self::assertCount(1, $engine->auditEvents(['agent_id' => 1, 'limit' => 1]));
        self::assertSame([], $engine->auditEvents(['from' => PHP_INT_MAX - 1]));
    }

    public function testKeysScopesAndClients(): void
    {
        $engine = self::engine();
        $jwks = $engine->jwks();
        self::assertCount(1, $jwks['keys']);
        self::assertSame($engine->kid(), $jwks['keys'][0]['kid']);
        self::assertSame(['RSA', 'sig', 'RS256'], [$jwks['keys'][0]['kty'], $jwks['keys'][0]['use'], $jwks['keys'][0]['alg']]);
        self::assertSame(['agent', 'customer', 'customer_impersonation'], $engine->scopes());
        self::assertSame([], $engine->installScopes(), 'idempotent');
        $engine->installDefaultClient();
        $engine->installDefaultClient();
        self::assertSame(0, $engine->purgeExpired(0));
    }

    public function testPreviousPublicKeysKeepVerifying(): void
    {
        $old = self::engine(['private_key_path' => OTHER_KEY]);
        $token = self::login($old)['access_token'];
        $rotated = new Engine(self::config(['previous_public_key_paths' => [ROOT . '/core/tests/keys/test-only-other-public-key.pem']]));
        self::assertSame('agent', $rotated->verify($token)['kind']);
        self::assertCount(2, $rotated->jwks()['keys']);
    }
}
