<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\Engine;
use Generated\Shared\Transfer\AgentOauthCustomerRecordTransfer;
use Generated\Shared\Transfer\CustomerAutocompleteResponseTransfer;
use Generated\Shared\Transfer\CustomerQueryTransfer;
use Generated\Shared\Transfer\CustomerTransfer;
use Generated\Shared\Transfer\PaginationTransfer;
use Generated\Shared\Transfer\RestErrorMessageTransfer;
use Generated\Shared\Transfer\UserTransfer;
use Pyz\Client\AgentOauth\AgentOauthClientInterface;
use Pyz\Glue\AgentOauth\AgentOauthConfig;
use Pyz\Glue\AgentOauth\Plugin\GlueApplication\AgentOauthFormattedControllerBeforeActionPlugin;
use Pyz\Glue\AgentOauth\ShopDirectory;
use Pyz\Shared\AgentOauth\AgentOauthConstants;
use Pyz\Shared\AgentOauth\DirectoryRecords;
use Spryker\Client\Agent\AgentClientInterface;
use Spryker\Glue\AuthRestApi\Controller\RefreshTokensResourceController as SprykerRefreshTokensResourceController;
use Spryker\Glue\AuthRestApi\Plugin\GlueApplication\FormattedControllerBeforeActionValidateAccessTokenPlugin;
use Spryker\Glue\AuthRestApi\Processor\AccessTokens\AccessTokenValidator;
use Spryker\Glue\GlueApplication\GlueApplicationFactory;
use Spryker\Glue\GlueApplication\Plugin\EventDispatcher\GlueRestControllerListenerEventDispatcherPlugin;
use Spryker\Glue\Kernel\AbstractBundleConfig;
use Spryker\Glue\Kernel\Locator;
use Spryker\Shared\Log\LoggerFactory;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;

require_once __DIR__ . '/Fixtures/spryker-example.php';

/**
 * Handler mode the Spryker way (issue 13): the Pyz resource route plugins
 * and controllers of examples/php/spryker/src/Pyz/Glue/, registered in the
 * example's GlueApplicationDependencyProvider beside a carts resource, on
 * stand-ins for Spryker's Glue application (router, ControllerFilter,
 * AuthRestApi's refresh-tokens controller and access-token check).
 */
final class SprykerGlueResourcesTest extends TestCase
{
    private const BASE = 'https://glue.mysprykershop.com';
    private const JSON_API = 'application/vnd.api+json';
    private const ENGINE_500 = '{"errors":[{"status":500,"detail":"Internal Server Error"}]}';

    /** @var array<string, mixed> this test's engine configuration, one shared engine per test */
    private array $config;

    private static string $hash;

    protected function setUp(): void
    {
        $this->config = self::config(['client_id' => uniqid('pyz-glue-'), 'glue_base_url' => self::BASE]);
        AbstractBundleConfig::$values = [AgentOauthConstants::ENGINE_CONFIGURATION => $this->config];
        Locator::$clients = ['agent' => self::agentClient(), 'agentOauth' => self::agentOauthClient()];
        Locator::$asked = [];
        LoggerFactory::$records = [];
        SprykerRefreshTokensResourceController::$calls = [];
        AccessTokenValidator::$publicKeyPem = (string) file_get_contents(TEST_PUBLIC_KEY);
    }

    /** The shop's spy_user, through Glue's AgentClient. */
    private static function agentClient(): AgentClientInterface
    {
        return new class () implements AgentClientInterface {
            public function findAgentByUsername(UserTransfer $user): ?UserTransfer
            {
                return $user->getUsername() === AGENT ? SprykerGlueResourcesTest::spyUser() : null;
            }

            public function findCustomersByQuery(CustomerQueryTransfer $query): CustomerAutocompleteResponseTransfer
            {
                return (new CustomerAutocompleteResponseTransfer())->setCustomers([SprykerGlueResourcesTest::spyCustomer()])
                    ->setPagination((new PaginationTransfer())->setNbResults(1));
            }
        };
    }

    /** The shop's spy_customer, through the Pyz AgentOauth client (Zed's gateway; SprykerHandlerModeB2bTest runs the real hop). */
    private static function agentOauthClient(): AgentOauthClientInterface
    {
        return new class () implements AgentOauthClientInterface {
            public function findImpersonationCustomer(AgentOauthCustomerRecordTransfer $asked): AgentOauthCustomerRecordTransfer
            {
                $found = $asked->getCustomerReference() === 'DE--5';
                return (new AgentOauthCustomerRecordTransfer())->setCustomerReference($asked->getCustomerReference())
                    ->setRecord($found ? json_encode(DirectoryRecords::customer(SprykerGlueResourcesTest::spyCustomer())) : null);
            }
        };
    }

    public static function spyUser(): UserTransfer
    {
        self::$hash ??= password_hash(PASSWORD, PASSWORD_BCRYPT, ['cost' => 4]);
        return (new UserTransfer())->setIdUser(1)->setIsAgent(true)->setUsername(AGENT)->setPassword(self::$hash)->setStatus('active');
    }

    public static function spyCustomer(): CustomerTransfer
    {
        return (new CustomerTransfer())->setIdCustomer(5)->setCustomerReference('DE--5')
            ->setEmail('spencor.hopkin@spryker.com')->setFirstName('Spencor')->setLastName('Hopkin');
    }

    /**
     * A request as PHP-FPM hands it to Glue: headers as HTTP_* server keys.
     *
     * @param array<string, string> $headers
     * @param array<string, mixed> $server
     */
    private static function request(string $method, string $uri, array $headers = [], string $body = '', array $server = []): Request
    {
        foreach ($headers as $name => $value) {
            $key = strtoupper(str_replace('-', '_', $name));
            $server[in_array($key, ['CONTENT_TYPE', 'CONTENT_LENGTH'], true) ? $key : "HTTP_$key"] = $value;
        }
        return Request::create($uri, $method, [], [], [], $server + ['REMOTE_ADDR' => IP], $body);
    }

    /**
     * Glue's storefront application: the router (the example's
     * GlueApplicationDependencyProvider's resource route plugins) picks the
     * controller, the ControllerFilter runs it.
     */
    private static function glue(Request $request): Response
    {
        $route = (new GlueApplicationFactory())->createRestResourceRouter()->matchRequest($request);
        $request->attributes->add($route);
        [$controller, $action] = $route['_controller'];
        return (new GlueRestControllerListenerEventDispatcherPlugin())->filter($controller, $action, $request);
    }

    /** @return array{status: int, headers: list<array{0: string, 1: string}>, body: string} */
    private static function answer(Response $response): array
    {
        $headers = [];
        foreach ($response->headers->allPreserveCase() as $name => $values) {
            foreach ($values as $value) {
                $headers[] = [$name, $value];
            }
        }
        return ['status' => $response->getStatusCode(), 'headers' => $headers, 'body' => (string) $response->getContent()];
    }

    /** What Glue answers, as handleGlueRequest()'s array. */
    private static function call(string $method, string $uri, array $headers = [], string $body = '', array $server = []): array
    {
        return self::answer(self::glue(self::request($method, $uri, $headers, $body, $server)));
    }

    /**
     * What the engine answers directly: the same shared engine with the same
     * directories, the same header lines as Symfony hands them on.
     */
    private function direct(string $method, string $path, string $query = '', array $headers = [], string $body = ''): array
    {
        $lines = [['host', 'localhost']];
        foreach ($headers as $name => $value) {
            $lines[] = [strtolower($name), $value];
        }
        return $this->glueEngine()->handleGlueRequest($method, $path, $query, $lines, $body, IP);
    }

    /** The Glue resources' shared engine, on an object of the test's own with the same directories. */
    private function glueEngine(): Engine
    {
        $engine = Engine::shared($this->config);
        $directory = new ShopDirectory(self::agentClient(), self::agentOauthClient());
        $engine->setAgentDirectory([$directory, 'findAgent']);
        $engine->setCustomerDirectory([$directory, 'findCustomer'], [$directory, 'searchCustomers']);
        return $engine;
    }

    private function agentLogin(array $headers = [], array $server = []): array
    {
        return self::call('POST', '/agent-access-tokens', $headers,
            self::body('agent-access-tokens', ['username' => AGENT, 'password' => PASSWORD]), $server);
    }

    /** @return array{accessToken: string, refreshToken: string, expiresIn: int, tokenType: string} */
    private static function tokens(array $answer): array
    {
        return json_decode($answer['body'], true)['data']['attributes'];
    }

    /** The answer with fresh token values blanked, for comparing two issues. */
    private static function withoutTokens(array $answer): array
    {
        $body = json_decode($answer['body'], true);
        foreach (['accessToken', 'refreshToken', 'consentCode'] as $key) {
            if (isset($body['data']['attributes'][$key])) {
                $body['data']['attributes'][$key] = '…';
            }
        }
        return ['body' => $body] + $answer;
    }

    /** A customer's own token as Spryker's OAuth (league) issues it: signed by the shop's key, no kid. */
    private function customerToken(array $sub = ['id_company_user' => null, 'id_agent' => null, 'customer_reference' => 'DE--5', 'id_customer' => 5, 'permissions' => null], array $scopes = ['customer']): string
    {
        $claims = ['aud' => $this->config['client_id'], 'jti' => bin2hex(random_bytes(40)), 'iat' => time(), 'nbf' => time(),
            'exp' => time() + 600, 'sub' => json_encode($sub), 'scopes' => $scopes];
        $input = self::base64url('{"typ":"JWT","alg":"RS256"}') . '.' . self::base64url(json_encode($claims));
        openssl_sign($input, $signature, (string) file_get_contents(TEST_KEY), OPENSSL_ALGO_SHA256);
        return $input . '.' . self::base64url($signature);
    }

    public function testEachEngineResourceAnswersTheEnginesBytesUnchanged(): void
    {
        $json = ['Content-Type' => self::JSON_API];

        // POST /agent-access-tokens
        $login = $this->agentLogin($json);
        self::assertSame(201, $login['status']);
        self::assertSame([['Content-Type', self::JSON_API], ['Cache-Control', 'no-store']], $login['headers']);
        $direct = $this->direct('POST', '/agent-access-tokens', '', $json, self::body('agent-access-tokens', ['username' => AGENT, 'password' => PASSWORD]));
        self::assertEquals(self::withoutTokens($direct), self::withoutTokens($login));
        $agent = self::tokens($login);
        self::assertSame('agent', $this->glueEngine()->verify($agent['accessToken'], true)['kind']);
        $wrong = self::body('agent-access-tokens', ['username' => AGENT, 'password' => 'wrong']);
        self::assertSame($this->direct('POST', '/agent-access-tokens', '', $json, $wrong), self::call('POST', '/agent-access-tokens', $json, $wrong));

        // GET /agent-customer-search, with the query string as it came
        $bearer = ['Authorization' => 'Bearer ' . $agent['accessToken']];
        $search = self::call('GET', '/agent-customer-search?q=spencor&page%5Blimit%5D=5', $bearer);
        self::assertSame(200, $search['status']);
        self::assertSame('DE--5', json_decode($search['body'], true)['data'][0]['attributes']['customers'][0]['customerReference']);
        self::assertSame($this->direct('GET', '/agent-customer-search', 'q=spencor&page%5Blimit%5D=5', $bearer), $search);

        // POST /agent-customer-impersonation-access-tokens, X-Agent-Authorization as Spryker's clients send it
        $agentHeader = $json + ['X-Agent-Authorization' => 'Bearer ' . $agent['accessToken']];
        $impersonate = self::body('agent-customer-impersonation-access-tokens', ['customerReference' => 'DE--5']);
        $impersonation = self::call('POST', '/agent-customer-impersonation-access-tokens', $agentHeader, $impersonate);
        self::assertSame(201, $impersonation['status']);
        self::assertEquals(self::withoutTokens($this->direct('POST', '/agent-customer-impersonation-access-tokens', '', $agentHeader, $impersonate)),
            self::withoutTokens($impersonation));
        $unknown = self::body('agent-customer-impersonation-access-tokens', ['customerReference' => 'DE--404']);
        self::assertSame($this->direct('POST', '/agent-customer-impersonation-access-tokens', '', $agentHeader, $unknown),
            self::call('POST', '/agent-customer-impersonation-access-tokens', $agentHeader, $unknown));

        // POST /customer-impersonation-consents: the customer's own token; an agent's is 4105
        $customer = ['Authorization' => 'Bearer ' . $this->customerToken()];
        $consent = self::call('POST', '/customer-impersonation-consents', $customer);
        self::assertSame(201, $consent['status']);
        self::assertEquals(self::withoutTokens($this->direct('POST', '/customer-impersonation-consents', '', $customer)), self::withoutTokens($consent));
        $byAgent = self::call('POST', '/customer-impersonation-consents', $bearer);
        self::assertSame('4105', json_decode($byAgent['body'], true)['errors'][0]['code']);
        self::assertSame($this->direct('POST', '/customer-impersonation-consents', '', $bearer), $byAgent);

        // GET /customer-impersonation-sessions
        $sessions = self::call('GET', '/customer-impersonation-sessions', $customer);
        self::assertSame(200, $sessions['status']);
        self::assertCount(2, json_decode($sessions['body'], true)['data']);
        self::assertSame($this->direct('GET', '/customer-impersonation-sessions', '', $customer), $sessions);

        // POST /refresh-tokens and DELETE /refresh-tokens/{token} with the engine's tokens
        $refreshed = self::call('POST', '/refresh-tokens', $json, self::body('refresh-tokens', ['refreshToken' => $agent['refreshToken']]));
        self::assertSame(201, $refreshed['status']);
        self::assertSame(self::BASE . '/refresh-tokens', json_decode($refreshed['body'], true)['data']['links']['self']);
        $unknownRefresh = self::body('refresh-tokens', ['refreshToken' => 'ao1_unknown']);
        self::assertSame($this->direct('POST', '/refresh-tokens', '', $json, $unknownRefresh), self::call('POST', '/refresh-tokens', $json, $unknownRefresh));
        $new = self::tokens($refreshed);
        $revoke = ['Authorization' => 'Bearer ' . $new['accessToken']];
        self::assertSame(['status' => 204, 'headers' => [], 'body' => ''], self::call('DELETE', '/refresh-tokens/' . $new['refreshToken'], $revoke));
        self::assertSame($this->direct('DELETE', '/refresh-tokens/ao1_gone', '', $revoke), self::call('DELETE', '/refresh-tokens/ao1_gone', $revoke));

        // None of it reached Spryker's refresh tokens, and nothing failed.
        self::assertSame([], SprykerRefreshTokensResourceController::$calls);
        self::assertSame([], LoggerFactory::$records);
    }

    public function testTheEngineAnswersItsOwnErrorsWhereSprykersCheckWouldAnswerPlainText(): void
    {
        // A token Spryker refuses: without the Pyz wrapper, Glue's formatted-controller
        // check would answer text/plain "Invalid access token." before the engine.
        $forged = ['Authorization' => 'Bearer forged'];
        $answer = self::call('GET', '/agent-customer-search?q=x', $forged);
        self::assertSame($this->direct('GET', '/agent-customer-search', 'q=x', $forged), $answer);
        self::assertSame('001', json_decode($answer['body'], true)['errors'][0]['code']);
        // A missing token on the protected DELETE: the engine's JSON:API 403, not Spryker's text.
        self::assertSame($this->direct('DELETE', '/refresh-tokens/ao1_x'), self::call('DELETE', '/refresh-tokens/ao1_x'));

        // The wrapper leaves every other formatted resource to Spryker's check.
        $plugin = new AgentOauthFormattedControllerBeforeActionPlugin(new FormattedControllerBeforeActionValidateAccessTokenPlugin());
        $token = self::request('POST', '/token', $forged);
        $token->attributes->set('type', 'token');
        $error = $plugin->beforeAction($token);
        self::assertInstanceOf(RestErrorMessageTransfer::class, $error);
        self::assertSame([401, 'Invalid access token.'], [$error->getStatus(), $error->getDetail()]);
        foreach ((new AgentOauthConfig())->getEngineResourceTypes() as $type) {
            $request = self::request('GET', "/$type", $forged);
            $request->attributes->set('type', $type);
            self::assertNull($plugin->beforeAction($request), $type);
        }
    }

    public function testRefreshTokensAreRoutedByPrefix(): void
    {
        $json = ['Content-Type' => self::JSON_API];
        $agent = self::tokens($this->agentLogin($json));

        // D6: ao1_ to the engine, anything else to Spryker's own controller, answered as Spryker answers.
        self::assertSame(201, self::call('POST', '/refresh-tokens', $json, self::body('refresh-tokens', ['refreshToken' => $agent['refreshToken']]))['status']);
        $spryker = self::call('POST', '/refresh-tokens', $json, self::body('refresh-tokens', ['refreshToken' => 'def50200ab']));
        self::assertSame(201, $spryker['status']);
        self::assertSame('spryker-access-token', json_decode($spryker['body'], true)['data']['attributes']['accessToken']);
        self::assertSame(401, self::call('POST', '/refresh-tokens', $json, self::body('refresh-tokens', ['refreshToken' => 'abc']))['status']);
        self::assertSame(200, self::call('GET', '/refresh-tokens')['status']);

        // DELETE: Spryker's route is protected, so Spryker's own check still guards Spryker's tokens.
        $customer = ['Authorization' => 'Bearer ' . $this->customerToken()];
        self::assertSame(204, self::call('DELETE', '/refresh-tokens/def50200ab', $customer)['status']);
        $missing = self::call('DELETE', '/refresh-tokens/def50200cd');
        self::assertSame([403, '002'], [$missing['status'], json_decode($missing['body'], true)['errors'][0]['code']]);
        self::assertSame(['POST def50200ab', 'POST abc', 'GET', 'DELETE def50200ab'], SprykerRefreshTokensResourceController::$calls);

        // Other resources are Spryker's as before.
        self::assertSame(200, self::call('GET', '/carts', $customer)['status']);
        self::assertSame(404, self::call('GET', '/unknown-resources')['status']);
    }

    public function testMineAsksBothStoresButSprykersOnlyForCustomers(): void
    {
        $login = $this->agentLogin();
        $agent = self::tokens($login);

        // An agent's mine: the engine revokes; Spryker's store is not asked.
        self::assertSame(204, self::call('DELETE', '/refresh-tokens/mine', ['Authorization' => 'Bearer ' . $agent['accessToken']])['status']);
        self::assertSame([], SprykerRefreshTokensResourceController::$calls);
        self::assertSame(401, self::call('POST', '/refresh-tokens', [], self::body('refresh-tokens', ['refreshToken' => $agent['refreshToken']]))['status']);

        // A customer's own (Spryker-issued) token: the engine has nothing, Spryker revokes.
        self::assertSame(204, self::call('DELETE', '/refresh-tokens/mine', ['Authorization' => 'Bearer ' . $this->customerToken()])['status']);
        self::assertSame(['DELETE mine'], SprykerRefreshTokensResourceController::$calls);

        // An impersonation token: the engine ends the impersonation; the real customer stays logged in.
        $agent = self::tokens($this->agentLogin());
        $impersonation = self::tokens(self::call('POST', '/agent-customer-impersonation-access-tokens',
            ['X-Agent-Authorization' => 'Bearer ' . $agent['accessToken']],
            self::body('agent-customer-impersonation-access-tokens', ['customerReference' => 'DE--5'])));
        self::assertSame(204, self::call('DELETE', '/refresh-tokens/mine', ['Authorization' => 'Bearer ' . $impersonation['accessToken']])['status']);
        self::assertSame(['DELETE mine'], SprykerRefreshTokensResourceController::$calls);

        // A token neither accepts: the engine's 401 answers.
        $forged = ['Authorization' => 'Bearer forged'];
        self::assertSame($this->direct('DELETE', '/refresh-tokens/mine', '', $forged), self::call('DELETE', '/refresh-tokens/mine', $forged));
        self::assertCount(1, SprykerRefreshTokensResourceController::$calls);
    }

    /** @return iterable<string, array{0: ?list<string>, 1: string, 2: string}> trusted proxies, peer, expected client */
    public static function proxies(): iterable
    {
        $xff = '198.51.100.7, 10.0.0.9';
        yield 'behind the trusted load balancer' => [['10.0.0.0/8'], '10.0.0.5', $xff, '198.51.100.7'];
        yield 'no trusted_proxies: the peer' => [null, '10.0.0.5', $xff, '10.0.0.5'];
        yield 'an untrusted peer forging the header' => [['10.0.0.0/8'], '203.0.113.9', $xff, '203.0.113.9'];
    }

    /** @dataProvider proxies */
    public function testTheClientAddressIsTheServersNotTheLoadBalancers(?array $trusted, string $peer, string $xff, string $client): void
    {
        if ($trusted !== null) {
            $this->config['trusted_proxies'] = $trusted;
            AbstractBundleConfig::$values[AgentOauthConstants::ENGINE_CONFIGURATION] = $this->config;
        }
        $server = ['REMOTE_ADDR' => $peer];
        self::assertSame(201, $this->agentLogin(['X-Forwarded-For' => $xff], $server)['status']);
        $events = $this->glueEngine()->auditEvents();
        self::assertSame(['agent_login_succeeded', $client], [end($events)['kind'], end($events)['client_ip']]);
    }

    public function testLockoutCountsTheAgentsAddressBehindTheLoadBalancer(): void
    {
        $this->config += ['trusted_proxies' => ['10.0.0.0/8'], 'lockout' => ['max_failures' => 2, 'window' => 600, 'block' => 600]];
        AbstractBundleConfig::$values[AgentOauthConstants::ENGINE_CONFIGURATION] = $this->config;
        $wrong = self::body('agent-access-tokens', ['username' => AGENT, 'password' => 'wrong']);
        $balancer = ['REMOTE_ADDR' => '10.0.0.5'];
        $from = static fn (string $client): array => ['X-Forwarded-For' => $client];

        self::assertSame(401, self::call('POST', '/agent-access-tokens', $from('198.51.100.7'), $wrong, $balancer)['status']);
        self::assertSame(401, self::call('POST', '/agent-access-tokens', $from('198.51.100.7'), $wrong, $balancer)['status']);
        $blocked = self::call('POST', '/agent-access-tokens', $from('198.51.100.7'), $wrong, $balancer);
        self::assertSame([429, '4401'], [$blocked['status'], json_decode($blocked['body'], true)['errors'][0]['code']]);
        // Another agent's machine behind the same balancer is not blocked.
        self::assertSame(201, $this->agentLogin($from('198.51.100.8'), $balancer)['status']);
    }

    /** @return iterable<string, array{0: array<string, mixed>}> */
    public static function brokenEngines(): iterable
    {
        yield 'a missing key file' => [['private_key_path' => '/nonexistent/agent-oauth/private.pem']];
        yield 'an unreachable database' => [['database_url' => 'postgres://127.0.0.1:1/x']];
    }

    /**
     * @dataProvider brokenEngines
     * @param array<string, mixed> $broken
     */
    public function testWhenTheEngineCannotStartOnlyItsRoutesAnswer500(array $broken): void
    {
        $config = array_replace($this->config, $broken);
        if (isset($broken['database_url'])) {
            unset($config['database_path']);
        }
        AbstractBundleConfig::$values[AgentOauthConstants::ENGINE_CONFIGURATION] = $config;
        $customer = ['Authorization' => 'Bearer ' . $this->customerToken()];

        // The shop's resources and Spryker's tokens never build the engine.
        $carts = self::call('GET', '/carts', $customer);
        self::assertSame(200, $carts['status']);
        self::assertSame('Shopping cart', json_decode($carts['body'], true)['data'][0]['attributes']['name']);
        self::assertSame(201, self::call('POST', '/refresh-tokens', [], self::body('refresh-tokens', ['refreshToken' => 'def50200ab']))['status']);
        self::assertSame(204, self::call('DELETE', '/refresh-tokens/def50200ab', $customer)['status']);
        self::assertSame([], LoggerFactory::$records, 'nothing tried to build the engine');
        self::assertSame([], Locator::$asked, 'nor fetched its directories');

        // The engine's routes: 500 JSON:API, the cause in the log only.
        $routes = [
            ['POST', '/agent-access-tokens', self::body('agent-access-tokens', ['username' => AGENT, 'password' => PASSWORD])],
            ['POST', '/agent-customer-impersonation-access-tokens', self::body('agent-customer-impersonation-access-tokens', ['customerReference' => 'DE--5'])],
            ['GET', '/agent-customer-search?q=spencor', ''],
            ['POST', '/customer-impersonation-consents', ''],
            ['GET', '/customer-impersonation-sessions', ''],
            ['POST', '/refresh-tokens', self::body('refresh-tokens', ['refreshToken' => 'ao1_abc'])],
            ['DELETE', '/refresh-tokens/ao1_abc', ''],
        ];
        foreach ($routes as [$method, $uri, $body]) {
            self::assertSame(['status' => 500, 'headers' => [['Content-Type', self::JSON_API]], 'body' => self::ENGINE_500],
                self::call($method, $uri, $customer, $body), "$method $uri");
        }
        self::assertCount(count($routes), LoggerFactory::$records);
        $cause = isset($broken['database_url']) ? 'PostgreSQL' : '/nonexistent/agent-oauth/private.pem';
        self::assertStringContainsString($cause, LoggerFactory::$records[0]['message']);
        self::assertSame('error', LoggerFactory::$records[0]['level']);

        // mine: a customer's own token still logs out in Spryker's store; anyone else gets the 500.
        self::assertSame(204, self::call('DELETE', '/refresh-tokens/mine', $customer)['status']);
        self::assertSame(['POST def50200ab', 'DELETE def50200ab', 'DELETE mine'], SprykerRefreshTokensResourceController::$calls);
        $agentLike = ['Authorization' => 'Bearer ' . $this->customerToken(
            ['id_company_user' => null, 'id_agent' => 1, 'customer_reference' => null, 'id_customer' => null, 'permissions' => null], ['agent'])];
        self::assertSame(self::ENGINE_500, self::call('DELETE', '/refresh-tokens/mine', $agentLike)['body']);
        self::assertSame(500, self::call('DELETE', '/refresh-tokens/mine')['status']);
        self::assertCount(3, SprykerRefreshTokensResourceController::$calls);

        // Carts still answer after the engine's failures.
        self::assertSame(200, self::call('GET', '/carts', $customer)['status']);
    }

    public function testTheEngineIsBuiltOnlyWhenOneOfItsRoutesIsAskedFor(): void
    {
        $customer = ['Authorization' => 'Bearer ' . $this->customerToken()];
        self::call('GET', '/carts', $customer);
        self::call('POST', '/refresh-tokens', [], self::body('refresh-tokens', ['refreshToken' => 'def50200ab']));
        self::assertSame([], Locator::$asked);
        self::assertSame(201, $this->agentLogin()['status']);
        self::assertSame(['agent', 'agentOauth'], Locator::$asked, 'the directories, fetched when the engine was built');
    }
}
