<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use Generated\Shared\Transfer\CustomerAutocompleteResponseTransfer;
use Generated\Shared\Transfer\CustomerQueryTransfer;
use Generated\Shared\Transfer\CustomerResponseTransfer;
use Generated\Shared\Transfer\CustomerTransfer;
use Generated\Shared\Transfer\FindAgentResponseTransfer;
use Generated\Shared\Transfer\OauthScopeRequestTransfer;
use Generated\Shared\Transfer\OauthUserTransfer;
use Generated\Shared\Transfer\PaginationTransfer;
use Generated\Shared\Transfer\UserTransfer;
use Pyz\Glue\AgentOauth\AgentOauthGlueRouter;
use Pyz\Shared\AgentOauth\AgentOauthConstants;
use Spryker\Client\Agent\AgentClientInterface;
use Spryker\Client\Customer\CustomerClientInterface;
use Spryker\Zed\Agent\Business\AgentFacadeInterface;
use Spryker\Zed\Customer\Business\CustomerFacadeInterface;
use Spryker\Zed\Kernel\AbstractBundleConfig;
use Spryker\Zed\Kernel\Locator;
use Spryker\Zed\Kernel\Resolver;

require_once __DIR__ . '/Fixtures/spryker-example.php';

/** The Pyz classes of examples/php/spryker/, on stand-ins for Spryker's kernel and transfers. */
final class SprykerExampleTest extends TestCase
{
    private static string $hash;

    /** The shop's spy_user and spy_customer. */
    private static function user(): UserTransfer
    {
        self::$hash ??= password_hash('change123', PASSWORD_BCRYPT, ['cost' => 4]);
        return (new UserTransfer())->setIdUser(1)->setIsAgent(true)->setUsername(AGENT)->setPassword(self::$hash)->setStatus('active');
    }

    private static function customer(): CustomerTransfer
    {
        return (new CustomerTransfer())->setIdCustomer(5)->setCustomerReference('DE--5')
            ->setEmail('spencor.hopkin@spryker.com')->setFirstName('Spencor')->setLastName('Hopkin');
    }

    private static function page(): CustomerAutocompleteResponseTransfer
    {
        return (new CustomerAutocompleteResponseTransfer())->setCustomers([self::customer()])
            ->setPagination((new PaginationTransfer())->setNbResults(1));
    }

    protected function setUp(): void
    {
        Resolver::reset();
        AbstractBundleConfig::$values = [AgentOauthConstants::ENGINE_CONFIGURATION => self::config(['client_id' => 'pyz-example'])];
        Locator::$facades = [
            'agent' => new class () implements AgentFacadeInterface {
                public function findAgentByUsername(string $username): FindAgentResponseTransfer
                {
                    $found = $username === AGENT;
                    return (new FindAgentResponseTransfer())->setIsAgentFound($found)->setAgent($found ? SprykerExampleTest::spyUser() : null);
                }

                public function findCustomersByQuery(CustomerQueryTransfer $query): CustomerAutocompleteResponseTransfer
                {
                    return SprykerExampleTest::spyCustomerPage();
                }
            },
            'customer' => new class () implements CustomerFacadeInterface {
                public function findCustomerByReference(string $customerReference): CustomerResponseTransfer
                {
                    $found = $customerReference === 'DE--5';
                    return (new CustomerResponseTransfer())->setIsSuccess($found)->setCustomerTransfer($found ? SprykerExampleTest::spyCustomer() : null);
                }
            },
        ];
    }

    public static function spyUser(): UserTransfer
    {
        return self::user();
    }

    public static function spyCustomer(): CustomerTransfer
    {
        return self::customer();
    }

    public static function spyCustomerPage(): CustomerAutocompleteResponseTransfer
    {
        return self::page();
    }

    /** Calls a protected method of Spryker's dependency providers, as Spryker's kernel does. */
    private static function plugins(object $provider, string $method): array
    {
        return (fn () => $this->$method())->call($provider);
    }

    /** Spryker's UserRepository::getUserEntityByRequest(): the first accepting plugin's successful user. */
    private static function oauthUser(array $request): ?OauthUserTransfer
    {
        foreach (self::plugins(new \Pyz\Zed\Oauth\OauthDependencyProvider(), 'getUserProviderPlugins') as $plugin) {
            $user = (new OauthUserTransfer())->fromArray($request, true);
            if ($plugin->accept($user)) {
                $user = $plugin->getUser($user);
                if ($user->getIsSuccess() && $user->getUserIdentifier()) {
                    return $user;
                }
            }
        }
        return null;
    }

    /** Spryker's ScopeRepository::finalizeScopes(): the accepting plugins' scope identifiers. */
    private static function scopes(string $grantType): array
    {
        $request = (new OauthScopeRequestTransfer())->setGrantType($grantType)->setDefaultScopes([]);
        $identifiers = [];
        foreach (self::plugins(new \Pyz\Zed\Oauth\OauthDependencyProvider(), 'getScopeProviderPlugins') as $plugin) {
            if ($plugin->accept($request)) {
                foreach ($plugin->getScopes($request) as $scope) {
                    $identifiers[] = $scope->getIdentifier();
                }
            }
        }
        return $identifiers;
    }

    public function testPluginModeAuthenticatesTheShopsAgents(): void
    {
        $user = self::oauthUser(['grant_type' => 'agent_credentials', 'username' => AGENT, 'password' => PASSWORD, 'client_id' => 'frontend']);
        self::assertNotNull($user);
        self::assertSame(AGENT_SUB, $user->getUserIdentifier());
        self::assertSame('frontend', $user->getClientId());
        self::assertNull(self::oauthUser(['grant_type' => 'agent_credentials', 'username' => AGENT, 'password' => 'wrong']));
        self::assertNull(self::oauthUser(['grant_type' => 'password', 'username' => AGENT, 'password' => PASSWORD]));
        self::assertSame(['agent'], self::scopes('agent_credentials'));
    }

    public function testPluginModeImpersonatesTheShopsCustomers(): void
    {
        $user = self::oauthUser(['grant_type' => 'customer_impersonation', 'customer_reference' => 'DE--5']);
        self::assertSame(CUSTOMER_SUB, $user?->getUserIdentifier());
        self::assertNull(self::oauthUser(['grant_type' => 'customer_impersonation', 'customer_reference' => 'DE--404']));
        self::assertSame(['customer_impersonation', 'customer'], self::scopes('customer_impersonation'));
    }

    public function testTheGrantTypeAndTheInstaller(): void
    {
        $configurations = self::plugins(new \Pyz\Zed\Oauth\OauthDependencyProvider(), 'getGrantTypeConfigurationProviderPlugins');
        self::assertSame([[
            'identifier' => 'agent_credentials',
            'fully_qualified_class_name' => 'Spryker\Zed\OauthAgentConnector\Business\League\Grant\AgentCredentialsGrantType',
            'builder_fully_qualified_class_name' => null,
        ]], array_map(static fn ($plugin) => $plugin->getGrantTypeConfiguration()->toArray(), $configurations));

        foreach ((new \Pyz\Zed\Installer\InstallerDependencyProvider())->getInstallerPlugins() as $plugin) {
            $plugin->install();
            $plugin->install();
        }
        $engine = \AgentOauth\Engine::shared(AbstractBundleConfig::$values[AgentOauthConstants::ENGINE_CONFIGURATION]);
        self::assertSame(['agent', 'customer', 'customer_impersonation'], $engine->scopes());
    }

    /** A router with a stand-in for Spryker's Glue application that records what reaches it. */
    private function router(array &$spryker): array
    {
        $agentClient = new class () implements AgentClientInterface {
            public function findAgentByUsername(UserTransfer $user): ?UserTransfer
            {
                return $user->getUsername() === AGENT ? SprykerExampleTest::spyUser() : null;
            }

            public function findCustomersByQuery(CustomerQueryTransfer $query): CustomerAutocompleteResponseTransfer
            {
                return SprykerExampleTest::spyCustomerPage();
            }
        };
        $customerClient = new class () implements CustomerClientInterface {
            public function findCustomerByReference(CustomerTransfer $customer): CustomerResponseTransfer
            {
                $found = $customer->getCustomerReference() === 'DE--5';
                return (new CustomerResponseTransfer())->setIsSuccess($found)->setCustomerTransfer($found ? SprykerExampleTest::spyCustomer() : null);
            }
        };
        $router = AgentOauthGlueRouter::create(self::config(['client_id' => 'pyz-glue']), $agentClient, $customerClient);
        $handle = static function (string $method, string $path, array $headers = [], string $body = '', string $query = '') use ($router, &$spryker): ?array {
            return $router->handle($method, $path, $query, $headers, $body, IP, static function () use ($method, $path, &$spryker): array {
                $spryker[] = "$method $path";
                return ['status' => 299, 'headers' => [], 'body' => 'spryker'];
            });
        };
        return [$router, $handle];
    }

    public function testHandlerModeRoutesAgentResourcesAndRefreshTokensByPrefix(): void
    {
        $spryker = [];
        [, $handle] = $this->router($spryker);

        $login = $handle('POST', '/agent-access-tokens', [], self::body('agent-access-tokens', ['username' => AGENT, 'password' => PASSWORD]));
        self::assertSame(201, $login['status']);
        $tokens = json_decode($login['body'], true)['data']['attributes'];
        $bearer = [['Authorization', 'Bearer ' . $tokens['accessToken']]];

        $search = $handle('GET', '/agent-customer-search', $bearer, '', 'q=spencor');
        self::assertSame('DE--5', json_decode($search['body'], true)['data'][0]['attributes']['customers'][0]['customerReference']);
        $impersonation = $handle('POST', '/agent-customer-impersonation-access-tokens', $bearer,
            self::body('agent-customer-impersonation-access-tokens', ['customerReference' => 'DE--5']));
        self::assertSame(201, $impersonation['status']);

        // D6: the engine's tokens (ao1_) to the engine, the others to Spryker.
        $refreshed = $handle('POST', '/refresh-tokens', [], self::body('refresh-tokens', ['refreshToken' => $tokens['refreshToken']]));
        self::assertSame(201, $refreshed['status']);
        self::assertSame('spryker', $handle('POST', '/refresh-tokens', [], self::body('refresh-tokens', ['refreshToken' => 'def50200ab']))['body']);
        $new = json_decode($refreshed['body'], true)['data']['attributes'];
        self::assertSame(204, $handle('DELETE', '/refresh-tokens/' . $new['refreshToken'], [['Authorization', 'Bearer ' . $new['accessToken']]])['status']);
        self::assertSame('spryker', $handle('DELETE', '/refresh-tokens/def50200ab', $bearer)['body']);
        self::assertSame('spryker', $handle('GET', '/carts', $bearer)['body']);
        self::assertSame(['POST /refresh-tokens', 'DELETE /refresh-tokens/def50200ab', 'GET /carts'], $spryker);
    }

    public function testMineAsksBothStoresButSprykersOnlyForCustomers(): void
    {
        $spryker = [];
        [, $handle] = $this->router($spryker);
        $login = $handle('POST', '/agent-access-tokens', [], self::body('agent-access-tokens', ['username' => AGENT, 'password' => PASSWORD]));
        $agent = json_decode($login['body'], true)['data']['attributes'];

        // An agent's mine: the engine revokes; Spryker's store is not asked.
        $mine = $handle('DELETE', '/refresh-tokens/mine', [['Authorization', 'Bearer ' . $agent['accessToken']]]);
        self::assertSame(204, $mine['status']);
        self::assertSame([], $spryker);
        self::assertSame(401, $handle('POST', '/refresh-tokens', [], self::body('refresh-tokens', ['refreshToken' => $agent['refreshToken']]))['status']);

        // A customer's own (Spryker-issued) token: the engine has nothing, Spryker revokes.
        $claims = ['aud' => 'pyz-glue', 'jti' => bin2hex(random_bytes(40)), 'iat' => time(), 'nbf' => time(), 'exp' => time() + 600,
            'sub' => CUSTOMER_SUB, 'scopes' => ['customer']];
        $input = self::base64url('{"typ":"JWT","alg":"RS256"}') . '.' . self::base64url(json_encode($claims));
        openssl_sign($input, $signature, (string) file_get_contents(TEST_KEY), OPENSSL_ALGO_SHA256);
        $customerToken = $input . '.' . self::base64url($signature);
        self::assertSame('spryker', $handle('DELETE', '/refresh-tokens/mine', [['Authorization', "Bearer $customerToken"]])['body']);
        self::assertSame(['DELETE /refresh-tokens/mine'], $spryker);

        // A token neither accepts: the engine's 401 answers.
        self::assertSame(401, $handle('DELETE', '/refresh-tokens/mine', [['Authorization', 'Bearer forged']])['status']);
        self::assertCount(1, $spryker);
    }
}
