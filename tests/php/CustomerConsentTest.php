<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\CustomerOnlyException;
use AgentOauth\Engine;
use AgentOauth\Exception;
use AgentOauth\ImpersonationFailedException;

/**
 * The customer's side of impersonation (issue 12, D30) through the PHP
 * extension: consent codes a customer creates with their own token
 * (`POST /customer-impersonation-consents`) and an agent presents, either
 * as impersonateCustomer()'s `$consentCode` or as the Glue attribute
 * `consentCode`; the customer's list of impersonation sessions
 * (`GET /customer-impersonation-sessions`); 403/4105 for tokens that are
 * not the customer's own.
 */
final class CustomerConsentTest extends TestCase
{
    private const BASE = 'https://glue.mysprykershop.com';
    private const JSON_API = ['Content-Type', 'application/vnd.api+json'];
    private const CONSENTS = '/customer-impersonation-consents';
    private const SESSIONS = '/customer-impersonation-sessions';
    private const IMPERSONATION = '/agent-customer-impersonation-access-tokens';
    private const CUSTOMER_ONLY = '{"errors":[{"status":403,"code":"4105","detail":"Action is available to customer user only."}]}';
    private const MISSING_TOKEN = '{"errors":[{"detail":"Missing access token.","status":403,"code":"002"}]}';
    private const FAILED = '{"errors":[{"code":"4104","status":401,"detail":"Failed to impersonate a customer."}]}';

    /** An engine of the tests plus customer DE--6, with this `impersonation` policy. */
    private static function consentEngine(array $policy = ['require_customer_consent' => true]): Engine
    {
        $engine = self::engine(['impersonation' => $policy, 'glue_base_url' => self::BASE]);
        $engine->upsertCustomer([
            'id_customer' => 6, 'customer_reference' => 'DE--6', 'email' => 'karl.schmidt@spryker.com',
            'first_name' => 'Karl', 'last_name' => 'Schmidt', 'id_company_user' => null, 'permissions' => null,
            'is_active' => true, 'impersonation_allowed' => true,
        ]);
        return $engine;
    }

    /**
     * The customer's own token as Spryker's shop issues it: RS256 with the
     * shop's key (the engine's, the test key), no `kid`, scope `customer`.
     */
    private static function customerToken(int $id): string
    {
        $sub = json_encode(['id_company_user' => null, 'id_agent' => null, 'customer_reference' => "DE--$id",
            'id_customer' => $id, 'permissions' => null], JSON_THROW_ON_ERROR);
        if ($id === 5) {
            self::assertSame(CUSTOMER_SUB, $sub);
        }
        $now = time();
        $claims = ['aud' => 'frontend', 'jti' => bin2hex(random_bytes(40)), 'iat' => $now, 'nbf' => $now,
            'exp' => $now + 28800, 'sub' => $sub, 'scopes' => ['customer']];
        $input = self::base64url('{"typ":"JWT","alg":"RS256"}') . '.' . self::base64url(json_encode($claims, JSON_THROW_ON_ERROR));
        self::assertTrue(openssl_sign($input, $signature, (string) file_get_contents(TEST_KEY), OPENSSL_ALGO_SHA256));
        return $input . '.' . self::base64url($signature);
    }

    /** @return array{status: int, headers: list<array{0: string, 1: string}>, body: string} */
    private static function createConsent(Engine $engine, ?string $token, string $body = ''): array
    {
        return $engine->handleGlueRequest('POST', self::CONSENTS, '',
            $token === null ? [] : [['Authorization', "Bearer $token"]], $body, IP);
    }

    /** A consent code of the customer whose own token this is, checking the whole answer. */
    private static function consentCode(Engine $engine, string $customerToken, int $expiresIn = 600): string
    {
        $response = self::createConsent($engine, $customerToken);
        self::assertSame(201, $response['status'], $response['body']);
        self::assertSame([self::JSON_API, ['Cache-Control', 'no-store']], $response['headers']);
        $code = json_decode($response['body'], true, 512, JSON_THROW_ON_ERROR)['data']['attributes']['consentCode'];
        self::assertIsString($code);
        self::assertMatchesRegularExpression('/^[0-9]{6}$/', $code);
        self::assertSame(
            '{"data":{"type":"customer-impersonation-consents","id":null,"attributes":{"consentCode":"' . $code
            . '","expiresIn":' . $expiresIn . '},"links":{"self":"' . self::BASE . self::CONSENTS . '"}}}',
            $response['body'],
        );
        return $code;
    }

    /** @return array{status: int, headers: list<array{0: string, 1: string}>, body: string} */
    private static function glueImpersonate(Engine $engine, string $agentToken, array $attributes): array
    {
        return $engine->handleGlueRequest('POST', self::IMPERSONATION, '',
            [self::JSON_API, ['X-Agent-Authorization', "Bearer $agentToken"]],
            self::body('agent-customer-impersonation-access-tokens', $attributes), IP);
    }

    /** @return array{status: int, headers: list<array{0: string, 1: string}>, body: string} */
    private static function sessions(Engine $engine, ?string $token, string $query = ''): array
    {
        return $engine->handleGlueRequest('GET', self::SESSIONS, $query,
            $token === null ? [] : ['Authorization' => "Bearer $token"], '', IP);
    }

    /** Asserts that impersonateCustomer() refuses with 4104 as ImpersonationFailedException. */
    private static function assertRefused(callable $call): void
    {
        try {
            $call();
        } catch (\Throwable $e) {
            self::assertSame(ImpersonationFailedException::class, get_class($e), (string) $e);
            self::assertSame(['Failed to impersonate a customer.', 4104, '4104', 401],
                [$e->getMessage(), $e->getCode(), $e->getGlueCode(), $e->getHttpStatus()]);
            return;
        }
        self::fail('nothing thrown, expected ' . ImpersonationFailedException::class);
    }

    /** @return list<string|null> the `policy` of the impersonation_denied events, oldest first */
    private static function deniedPolicies(Engine $engine, ?array $filter = null): array
    {
        $denied = array_filter($engine->auditEvents($filter),
            static fn (array $e): bool => $e['kind'] === 'impersonation_denied');
        return array_values(array_column($denied, 'policy'));
    }

    public function testCustomerOnlyExceptionClass(): void
    {
        self::assertSame(Exception::class, get_parent_class(CustomerOnlyException::class));
        $e = new CustomerOnlyException('made in PHP', 3);
        self::assertInstanceOf(\Exception::class, $e);
        self::assertSame(['4105', 403, 'made in PHP', 3], [$e->getGlueCode(), $e->getHttpStatus(), $e->getMessage(), $e->getCode()]);
        $default = new CustomerOnlyException();
        self::assertSame(['4105', 403], [$default->getGlueCode(), $default->getHttpStatus()]);
    }

    public function testConsentCodeParameterIsAnOptionalNullableString(): void
    {
        $parameters = (new \ReflectionMethod(Engine::class, 'impersonateCustomer'))->getParameters();
        self::assertSame(['agentToken', 'customerReference', 'reason', 'clientIp', 'consentCode'],
            array_map(static fn (\ReflectionParameter $p): string => $p->getName(), $parameters));
        self::assertSame('?string', (string) $parameters[4]->getType());
        self::assertTrue($parameters[4]->isOptional());
        self::assertNull($parameters[4]->getDefaultValue());
    }

    public function testAConsentCodeWorksOnceThroughImpersonateCustomer(): void
    {
        $engine = self::consentEngine();
        $code = self::consentCode($engine, self::customerToken(5));
        $agent = self::login($engine)['access_token'];

        $tokens = $engine->impersonateCustomer($agent, 'DE--5', 'SUP-1', IP, $code);
        self::assertSame(['token_type', 'expires_in', 'access_token', 'refresh_token'], array_keys($tokens));
        $claims = $engine->verify($tokens['access_token'], true);
        self::assertSame(['impersonation', CUSTOMER_SUB, ['sub' => AGENT_SUB]], [$claims['kind'], $claims['sub'], $claims['act']]);

        self::assertRefused(fn () => $engine->impersonateCustomer($agent, 'DE--5', 'SUP-1', IP, $code));
        self::assertSame(['require_customer_consent: consent code already used'], self::deniedPolicies($engine));
        self::assertSame(['consent_created', 'impersonation_started', 'impersonation_denied'],
            array_column($engine->auditEvents(['customer_reference' => 'DE--5']), 'kind'));
        $denied = $engine->auditEvents(['customer_reference' => 'DE--5'])[2];
        self::assertSame([1, AGENT, 'DE--5', '4104'],
            [$denied['agent_id'], $denied['agent_username'], $denied['customer_reference'], $denied['code']]);
    }

    public function testAConsentCodeWorksThroughTheGlueImpersonationResource(): void
    {
        $engine = self::consentEngine();
        $agent = self::login($engine)['access_token'];
        $customer = self::customerToken(5);

        // The body may also be a JSON:API document of the resource's type.
        $response = self::createConsent($engine, $customer, '{"data":{"type":"customer-impersonation-consents","attributes":{}}}');
        self::assertSame(201, $response['status'], $response['body']);
        $code = json_decode($response['body'], true)['data']['attributes']['consentCode'];
        $wrongType = self::createConsent($engine, $customer, self::body('agent-access-tokens', ['username' => AGENT]));
        self::assertSame([400, '{"errors":[{"detail":"Invalid type.","status":400}]}'], [$wrongType['status'], $wrongType['body']]);

        $started = self::glueImpersonate($engine, $agent, ['customerReference' => 'DE--5', 'reason' => 'SUP-2', 'consentCode' => $code]);
        self::assertSame(201, $started['status'], $started['body']);
        self::assertSame([self::JSON_API, ['Cache-Control', 'no-store']], $started['headers']);
        $tokens = json_decode($started['body'], true)['data']['attributes'];
        self::assertSame('impersonation', $engine->verify($tokens['accessToken'], true)['kind']);

        $again = self::glueImpersonate($engine, $agent, ['customerReference' => 'DE--5', 'consentCode' => $code]);
        self::assertSame([401, self::FAILED], [$again['status'], $again['body']]);
        self::assertSame(['require_customer_consent: consent code already used'], self::deniedPolicies($engine));
    }

    public function testWithoutACodeTheImpersonationIsRefused(): void
    {
        $engine = self::consentEngine();
        $agent = self::login($engine)['access_token'];
        self::consentCode($engine, self::customerToken(5));

        self::assertRefused(fn () => $engine->impersonateCustomer($agent, 'DE--5', null, IP));
        self::assertRefused(fn () => $engine->impersonateCustomer($agent, 'DE--5', null, IP, null));
        self::assertRefused(fn () => $engine->impersonateCustomer($agent, 'DE--5', null, IP, ''));
        $glue = self::glueImpersonate($engine, $agent, ['customerReference' => 'DE--5']);
        self::assertSame([401, self::FAILED], [$glue['status'], $glue['body']]);
        self::assertSame(array_fill(0, 4, 'require_customer_consent: no consent code given'), self::deniedPolicies($engine));

        // Without the policy, no code is needed and a given one is ignored.
        $free = self::consentEngine([]);
        $agent = self::login($free)['access_token'];
        self::assertSame('Bearer', $free->impersonateCustomer($agent, 'DE--5', null, IP)['token_type']);
        self::assertSame('Bearer', $free->impersonateCustomer($agent, 'DE--5', null, IP, '000000')['token_type']);
        self::assertSame([], self::deniedPolicies($free));
    }

    public function testANewCodeReplacesTheOldAndACodeExpires(): void
    {
        $engine = self::consentEngine(['require_customer_consent' => true, 'consent_ttl' => 1]);
        $agent = self::login($engine)['access_token'];
        $customer = self::customerToken(5);
        $first = self::consentCode($engine, $customer, 1);
        do {
            $second = self::consentCode($engine, $customer, 1);
        } while ($second === $first);
        self::assertRefused(fn () => $engine->impersonateCustomer($agent, 'DE--5', null, IP, $first));
        sleep(1); // the code's expiry is a whole second past its creation
        self::assertRefused(fn () => $engine->impersonateCustomer($agent, 'DE--5', null, IP, $second));
        self::assertSame(
            ['require_customer_consent: wrong consent code', 'require_customer_consent: consent code expired'],
            self::deniedPolicies($engine),
        );
    }

    public function testNineWrongCodesBlockTheAgentForThisCustomer(): void
    {
        $engine = self::consentEngine();
        $agent = self::login($engine)['access_token'];
        $code = self::consentCode($engine, self::customerToken(5));
        for ($i = 1; $i <= 8; $i++) {
            $wrong = sprintf('%06d', ((int) $code + $i) % 1000000);
            self::assertRefused(fn () => $engine->impersonateCustomer($agent, 'DE--5', null, IP, $wrong));
        }
        // The ninth through the Glue handler, as a shop's agent would send it.
        $ninth = self::glueImpersonate($engine, $agent, ['customerReference' => 'DE--5', 'consentCode' => 'abcdef']);
        self::assertSame([401, self::FAILED], [$ninth['status'], $ninth['body']]);
        // The right code now is refused too, and stays unspent.
        self::assertRefused(fn () => $engine->impersonateCustomer($agent, 'DE--5', null, IP, $code));

        $policies = self::deniedPolicies($engine, ['customer_reference' => 'DE--5']);
        self::assertCount(10, $policies);
        self::assertSame(array_fill(0, 8, 'require_customer_consent: wrong consent code'), array_slice($policies, 0, 8));
        self::assertSame('require_customer_consent: wrong consent code; the 9th failure blocks this agent for this customer for 360 s', $policies[8]);
        self::assertContains($policies[9], [
            'require_customer_consent: too many wrong codes from this agent for this customer, blocked for 360 s',
            'require_customer_consent: too many wrong codes from this agent for this customer, blocked for 359 s',
        ], 'the 360 s block, less a second boundary');

        // The block is per agent and customer: DE--6 can still be impersonated.
        $other = self::consentCode($engine, self::customerToken(6));
        self::assertSame('Bearer', $engine->impersonateCustomer($agent, 'DE--6', null, IP, $other)['token_type']);
    }

    public function testACodeIsBoundToItsCustomer(): void
    {
        $engine = self::consentEngine();
        $agent = self::login($engine)['access_token'];
        $forSix = self::consentCode($engine, self::customerToken(6));
        self::assertRefused(fn () => $engine->impersonateCustomer($agent, 'DE--5', null, IP, $forSix));
        self::assertSame(['require_customer_consent: wrong consent code'], self::deniedPolicies($engine));
        // The refused attempt did not spend DE--6's code.
        $tokens = $engine->impersonateCustomer($agent, 'DE--6', null, IP, $forSix);
        self::assertSame('{"id_company_user":null,"id_agent":null,"customer_reference":"DE--6","id_customer":6,"permissions":null}',
            $engine->verify($tokens['access_token'], true)['sub']);
    }

    public function testOnlyTheCustomersOwnTokenReachesTheCustomerResources(): void
    {
        $engine = self::consentEngine();
        $agent = self::login($engine)['access_token'];
        $code = self::consentCode($engine, self::customerToken(5));
        $impersonation = $engine->impersonateCustomer($agent, 'DE--5', null, IP, $code)['access_token'];

        foreach (['agent' => $agent, 'impersonation' => $impersonation] as $kind => $token) {
            foreach ([self::createConsent($engine, $token), self::sessions($engine, $token)] as $response) {
                self::assertSame([
                    'status' => 403,
                    'headers' => [self::JSON_API],
                    'body' => self::CUSTOMER_ONLY,
                ], $response, "a token of kind $kind");
            }
        }
        foreach ([self::createConsent($engine, null), self::sessions($engine, null)] as $response) {
            self::assertSame([403, self::MISSING_TOKEN], [$response['status'], $response['body']]);
        }
        $invalid = self::createConsent($engine, 'not.a.token');
        self::assertSame([401, '{"errors":[{"detail":"Invalid access token.","status":401,"code":"001"}]}'],
            [$invalid['status'], $invalid['body']]);
        self::assertSame(['consent_created'], array_column(array_filter($engine->auditEvents(),
            static fn (array $e): bool => $e['kind'] === 'consent_created'), 'kind'), 'no code was created for them');
    }

    public function testTheSessionListShowsOnlyTheCallersSessions(): void
    {
        $engine = self::consentEngine([]);
        $agent = self::login($engine)['access_token'];
        $first = $engine->impersonateCustomer($agent, 'DE--5', 'SUP-1', IP);
        $engine->impersonateCustomer($agent, 'DE--1', 'SUP-9', IP);
        sleep(1); // newest first goes by the start second
        $engine->impersonateCustomer($agent, 'DE--5', 'SUP-2', IP);
        self::assertSame(1, $engine->revoke($agent, $first['refresh_token'], IP));

        $response = self::sessions($engine, self::customerToken(5));
        self::assertSame(200, $response['status'], $response['body']);
        self::assertSame([self::JSON_API, ['Cache-Control', 'no-store']], $response['headers']);
        $document = json_decode($response['body'], true, 512, JSON_THROW_ON_ERROR);
        self::assertSame(['data', 'links'], array_keys($document));
        self::assertCount(2, $document['data']);
        $iso = '/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/';
        foreach ($document['data'] as $session) {
            self::assertSame(['type', 'id', 'attributes'], array_keys($session));
            self::assertSame('customer-impersonation-sessions', $session['type']);
            self::assertMatchesRegularExpression('/^[0-9a-f]{16}$/', $session['id']);
            self::assertSame(['agent', 'reason', 'startedAt', 'endedAt', 'status'], array_keys($session['attributes']));
            self::assertSame(AGENT, $session['attributes']['agent']);
            self::assertMatchesRegularExpression($iso, $session['attributes']['startedAt']);
            self::assertLessThanOrEqual(2, abs(strtotime($session['attributes']['startedAt']) - time()));
        }
        [$newest, $oldest] = $document['data'];
        self::assertSame(['SUP-2', null, 'active'],
            [$newest['attributes']['reason'], $newest['attributes']['endedAt'], $newest['attributes']['status']]);
        self::assertSame(['SUP-1', 'revoked'], [$oldest['attributes']['reason'], $oldest['attributes']['status']]);
        self::assertMatchesRegularExpression($iso, $oldest['attributes']['endedAt']);
        self::assertLessThan(strtotime($newest['attributes']['startedAt']), strtotime($oldest['attributes']['startedAt']));
        self::assertNotSame($newest['id'], $oldest['id']);
        self::assertSame([
            'self' => self::BASE . self::SESSIONS,
            'last' => self::BASE . self::SESSIONS . '?page[offset]=0&page[limit]=10',
            'first' => self::BASE . self::SESSIONS . '?page[offset]=0&page[limit]=10',
        ], $document['links']);

        // Paging as the agent customer search: one per page.
        $page = self::sessions($engine, self::customerToken(5), 'page[offset]=0&page[limit]=1');
        self::assertSame(200, $page['status']);
        $document = json_decode($page['body'], true, 512, JSON_THROW_ON_ERROR);
        self::assertSame([$newest], $document['data']);
        self::assertSame([
            'self' => self::BASE . self::SESSIONS . '?page[offset]=0&page[limit]=1',
            'last' => self::BASE . self::SESSIONS . '?page[offset]=1&page[limit]=1',
            'first' => self::BASE . self::SESSIONS . '?page[offset]=0&page[limit]=1',
            'next' => self::BASE . self::SESSIONS . '?page[offset]=1&page[limit]=1',
        ], $document['links']);
        $second = json_decode(self::sessions($engine, self::customerToken(5), 'page[offset]=1&page[limit]=1')['body'], true);
        self::assertSame([$oldest], $second['data']);
        self::assertSame(self::BASE . self::SESSIONS . '?page[offset]=0&page[limit]=1', $second['links']['prev']);
        self::assertArrayNotHasKey('next', $second['links']);

        // DE--1 sees only its own; a customer without sessions gets an empty list.
        $de1 = json_decode(self::sessions($engine, self::customerToken(1))['body'], true);
        self::assertSame(['SUP-9'], array_column(array_column($de1['data'], 'attributes'), 'reason'));
        self::assertSame('{"data":[],"links":{"self":"' . self::BASE . self::SESSIONS . '"}}',
            self::sessions($engine, self::customerToken(2))['body']);
    }

    public function testAgentDisplayNoneHidesTheAgent(): void
    {
        foreach (['none' => null, 'id' => '1', 'username' => AGENT] as $display => $agentShown) {
            $engine = self::consentEngine(['agent_display' => $display]);
            $engine->impersonateCustomer(self::login($engine)['access_token'], 'DE--5', 'SUP-3', IP);
            $response = self::sessions($engine, self::customerToken(5));
            self::assertSame(200, $response['status'], $response['body']);
            $attributes = json_decode($response['body'], true)['data'][0]['attributes'];
            self::assertSame($agentShown, $attributes['agent'], "agent_display $display");
            if ($agentShown === null) {
                self::assertStringContainsString('"attributes":{"agent":null,"reason":"SUP-3",', $response['body']);
            }
        }
    }

    public function testWrongTypesForTheConsentCodeAreTypeErrors(): void
    {
        $engine = self::consentEngine();
        $agent = self::login($engine)['access_token'];
        foreach ([['123456'], 123456] as $code) {
            try {
                $engine->impersonateCustomer($agent, 'DE--5', null, IP, $code);
                self::fail('a consentCode of type ' . get_debug_type($code) . ' must be refused');
            } catch (\TypeError $e) {
                self::assertSame('Invalid value given for argument `consentCode`.', $e->getMessage());
            }
        }
        self::assertSame([], self::deniedPolicies($engine), 'a TypeError reaches no rule');
    }
}
