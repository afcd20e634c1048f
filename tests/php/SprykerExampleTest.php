<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use Generated\Shared\Transfer\CustomerAutocompleteResponseTransfer;
use Generated\Shared\Transfer\CustomerCriteriaTransfer;
use Generated\Shared\Transfer\CustomerQueryTransfer;
use Generated\Shared\Transfer\CustomerResponseTransfer;
use Generated\Shared\Transfer\CustomerTransfer;
use Generated\Shared\Transfer\FindAgentResponseTransfer;
use Generated\Shared\Transfer\OauthScopeRequestTransfer;
use Generated\Shared\Transfer\OauthUserTransfer;
use Generated\Shared\Transfer\PaginationTransfer;
use Generated\Shared\Transfer\UserTransfer;
use Pyz\Shared\AgentOauth\AgentOauthConstants;
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
                    return $this->getCustomerByCriteria((new CustomerCriteriaTransfer())->setCustomerReference($customerReference));
                }

                /** The Zed directory's lookup, with the customer transfer expanders (SprykerZedTest covers B2B customers). */
                public function getCustomerByCriteria(CustomerCriteriaTransfer $criteria): CustomerResponseTransfer
                {
                    $found = $criteria->getCustomerReference() === 'DE--5';
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
}
