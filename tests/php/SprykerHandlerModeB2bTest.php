<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\Tests\Fixtures\B2bShop;
use Generated\Shared\Transfer\AgentOauthCustomerRecordTransfer;
use Generated\Shared\Transfer\CompanyUserTransfer;
use Generated\Shared\Transfer\CustomerAutocompleteResponseTransfer;
use Generated\Shared\Transfer\CustomerCriteriaTransfer;
use Generated\Shared\Transfer\CustomerIdentifierTransfer;
use Generated\Shared\Transfer\CustomerQueryTransfer;
use Generated\Shared\Transfer\CustomerResponseTransfer;
use Generated\Shared\Transfer\CustomerTransfer;
use Generated\Shared\Transfer\FindAgentResponseTransfer;
use Generated\Shared\Transfer\PaginationTransfer;
use Generated\Shared\Transfer\PermissionCollectionTransfer;
use Generated\Shared\Transfer\PermissionTransfer;
use Generated\Shared\Transfer\UserTransfer;
use Pyz\Client\AgentOauth\AgentOauthClient;
use Pyz\Glue\AgentOauth\AgentOauthFactory as GlueAgentOauthFactory;
use Pyz\Shared\AgentOauth\AgentOauthConstants;
use Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory;
use Pyz\Zed\OauthCustomerConnector\OauthCustomerConnectorDependencyProvider;
use Spryker\Client\Agent\AgentClientInterface;
use Spryker\Client\Kernel\Locator as ClientLocator;
use Spryker\Client\ZedRequest\ZedRequestClient;
use Spryker\Glue\GlueApplication\GlueApplicationFactory;
use Spryker\Glue\GlueApplication\Plugin\EventDispatcher\GlueRestControllerListenerEventDispatcherPlugin;
use Spryker\Glue\Kernel\AbstractBundleConfig as GlueConfig;
use Spryker\Glue\Kernel\Locator as GlueLocator;
use Spryker\Shared\Log\LoggerFactory;
use Spryker\Shared\ZedRequest\Client\Exception\RequestException;
use Spryker\Zed\Agent\Business\AgentFacadeInterface;
use Spryker\Zed\CompanyUsersRestApi\Communication\Plugin\OauthCustomerConnector\CompanyUserOauthCustomerIdentifierExpanderPlugin;
use Spryker\Zed\Customer\Business\CustomerFacadeInterface;
use Spryker\Zed\Kernel\Locator as ZedLocator;
use Spryker\Zed\Kernel\Resolver;
use Spryker\Zed\OauthPermission\Communication\Plugin\OauthCustomerConnector\PermissionOauthCustomerIdentifierExpanderPlugin;
use Symfony\Component\HttpFoundation\Request;

require_once __DIR__ . '/Fixtures/spryker-example.php';

/**
 * Handler mode's customers the Spryker way (issue 13, "B2B customers lose
 * their company"): a Glue impersonation asks Pyz\Client\AgentOauth, whose
 * Zed stub calls Zed's AgentOauth GatewayController through the ZedRequest
 * client (here in-process, each transfer through toArray(), JSON and
 * fromArray()), and Zed finds the customer as Spryker's impersonation grant
 * does. So the token the engine issues in Glue carries the `sub` Spryker's
 * grant would: the B2B shop's company user and permissions as its
 * OauthCustomerConnector identifier expanders build them.
 */
final class SprykerHandlerModeB2bTest extends TestCase
{
    /** The company user of the docs' impersonation token. */
    private const COMPANY_USER_UUID = 'dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a';

    private const GATEWAY = '/agent-oauth/gateway/find-impersonation-customer';

    /** What Spryker's grant writes for DE--7 in the B2B demo shop (SprykerZedTest's expectation). */
    private const B2B_SUB = '{"id_company_user":"' . self::COMPANY_USER_UUID . '","id_agent":null,"customer_reference":"DE--7","id_customer":7,"permissions":null}';

    /** ... with the older PermissionOauthCustomerIdentifierExpanderPlugin. */
    private const B2B_PERMISSIONS_SUB = '{"id_company_user":"' . self::COMPANY_USER_UUID . '","id_agent":null,"customer_reference":"DE--7","id_customer":7,"permissions":'
        . '{"permissions":[{"id_permission":3,"key":"AddCartItemPermissionPlugin","configuration":[],"configuration_signature":[],"is_infrastructural":false},'
        . '{"id_permission":9,"key":"PlaceOrderWithAmountUpToPermissionPlugin","configuration":{"cent_amount":{"EUR":100000}},"configuration_signature":[],"is_infrastructural":false}]}}';

    /** ... in a shop without identifier expanders (the B2C demo shop). */
    private const B2C_SUB = '{"id_company_user":null,"id_agent":null,"customer_reference":"DE--7","id_customer":7,"permissions":null}';

    /** The engine's refusal, the same for an unknown and an inactive customer. */
    private const REFUSED = ['status' => 401, 'body' => ['errors' => [['code' => '4104', 'status' => 401, 'detail' => 'Failed to impersonate a customer.']]]];

    private static string $hash;

    /** @var array<string, mixed> this test's engine configuration, one shared engine per test */
    private array $config;

    /** @var array<string, mixed> the stand-ins' static state before the test */
    private array $saved;

    /**
     * spy_customer: DE--5 (no company), DE--7 (a B2B company user, whose
     * company user the Customer module's CustomerTransferCompanyUserExpanderPlugin
     * adds only with the expanders), DE--9 (anonymized).
     */
    public static function spyCustomer(string $reference, bool $withExpanders): ?CustomerTransfer
    {
        $customer = match ($reference) {
            'DE--5' => (new CustomerTransfer())->setIdCustomer(5)->setCustomerReference('DE--5')
                ->setEmail('spencor.hopkin@spryker.com')->setFirstName('Spencor')->setLastName('Hopkin'),
            'DE--7' => (new CustomerTransfer())->setIdCustomer(7)->setCustomerReference('DE--7')
                ->setEmail('ann.anthony@spryker.com')->setFirstName('Ann')->setLastName('Anthony'),
            'DE--9' => (new CustomerTransfer())->setIdCustomer(9)->setCustomerReference('DE--9')
                ->setEmail('anonymized@spryker.com')->setFirstName('Anonymized')->setLastName('Customer')
                ->setAnonymizedAt('2024-01-31 12:00:00.000000'),
            default => null,
        };
        if ($customer !== null && $reference === 'DE--7' && $withExpanders) {
            $customer->setCompanyUserTransfer((new CompanyUserTransfer())->setUuid(self::COMPANY_USER_UUID));
        }
        return $customer;
    }

    public static function spyUser(): UserTransfer
    {
        self::$hash ??= password_hash(PASSWORD, PASSWORD_BCRYPT, ['cost' => 4]);
        return (new UserTransfer())->setIdUser(1)->setIsAgent(true)->setUsername(AGENT)->setPassword(self::$hash)->setStatus('active');
    }

    /** The company user's role permissions (spy_company_role_to_permission). */
    private static function permissions(): PermissionCollectionTransfer
    {
        return (new PermissionCollectionTransfer())->setPermissions([
            (new PermissionTransfer())->setIdPermission(3)->setKey('AddCartItemPermissionPlugin')->setConfiguration([])
                ->setConfigurationSignature([])->setIsInfrastructural(false),
            (new PermissionTransfer())->setIdPermission(9)->setKey('PlaceOrderWithAmountUpToPermissionPlugin')
                ->setConfiguration(['cent_amount' => ['EUR' => 100000]])->setConfigurationSignature([])->setIsInfrastructural(false),
        ]);
    }

    protected function setUp(): void
    {
        $this->saved = [
            'glueConfig' => GlueConfig::$values,
            'glueClients' => GlueLocator::$clients,
            'glueAsked' => GlueLocator::$asked,
            'clientClients' => ClientLocator::$clients,
            'zedFacades' => ZedLocator::$facades,
        ];
        // Glue: the engine (one shared engine per test) and its clients. The
        // agent comes from Glue's AgentClient; the customer from the Pyz
        // client, which the Client locator resolves by convention, as does
        // its ZedRequest client.
        $this->config = self::config(['client_id' => uniqid('pyz-b2b-'), 'glue_base_url' => 'https://glue.mysprykershop.com']);
        GlueConfig::$values = [AgentOauthConstants::ENGINE_CONFIGURATION => $this->config];
        GlueLocator::$clients = ['agent' => self::agentClient(), 'agentOauth' => new AgentOauthClient()];
        GlueLocator::$asked = [];
        ClientLocator::$clients = [];
        ZedRequestClient::$calls = [];
        LoggerFactory::$records = [];

        // Zed: the B2B demo shop (CompanyUser... and StoredPermission... expanders).
        Resolver::reset();
        B2bShop::reset();
        B2bShop::$activeCompanyUsers = [self::COMPANY_USER_UUID => 17];
        B2bShop::$permissions = [17 => self::permissions()];
        OauthCustomerConnectorDependencyProvider::$plugins = null;
        ZedLocator::$facades = [
            'agent' => new class () implements AgentFacadeInterface {
                public function findAgentByUsername(string $username): FindAgentResponseTransfer
                {
                    $found = $username === AGENT;
                    return (new FindAgentResponseTransfer())->setIsAgentFound($found)->setAgent($found ? SprykerHandlerModeB2bTest::spyUser() : null);
                }

                public function findCustomersByQuery(CustomerQueryTransfer $query): CustomerAutocompleteResponseTransfer
                {
                    return (new CustomerAutocompleteResponseTransfer())->setCustomers([])->setPagination((new PaginationTransfer())->setNbResults(0));
                }
            },
            'customer' => new class () implements CustomerFacadeInterface {
                /** Spryker's: no expanders, so no company user. */
                public function findCustomerByReference(string $customerReference): CustomerResponseTransfer
                {
                    $customer = SprykerHandlerModeB2bTest::spyCustomer($customerReference, false);
                    return (new CustomerResponseTransfer())->setIsSuccess($customer !== null)->setCustomerTransfer($customer);
                }

                public function getCustomerByCriteria(CustomerCriteriaTransfer $criteria): CustomerResponseTransfer
                {
                    $customer = SprykerHandlerModeB2bTest::spyCustomer((string) $criteria->getCustomerReference(), (bool) $criteria->getWithExpanders());
                    return (new CustomerResponseTransfer())->setIsSuccess($customer !== null)->setCustomerTransfer($customer);
                }
            },
        ];
    }

    protected function tearDown(): void
    {
        GlueConfig::$values = $this->saved['glueConfig'];
        GlueLocator::$clients = $this->saved['glueClients'];
        GlueLocator::$asked = $this->saved['glueAsked'];
        ClientLocator::$clients = $this->saved['clientClients'];
        ZedLocator::$facades = $this->saved['zedFacades'];
        ZedRequestClient::$calls = [];
        OauthCustomerConnectorDependencyProvider::$plugins = null;
        B2bShop::reset();
        Resolver::reset();
    }

    /** The shop's spy_user and its customer search, through Glue's AgentClient. */
    private static function agentClient(): AgentClientInterface
    {
        return new class () implements AgentClientInterface {
            public function findAgentByUsername(UserTransfer $user): ?UserTransfer
            {
                return $user->getUsername() === AGENT ? SprykerHandlerModeB2bTest::spyUser() : null;
            }

            public function findCustomersByQuery(CustomerQueryTransfer $query): CustomerAutocompleteResponseTransfer
            {
                return (new CustomerAutocompleteResponseTransfer())
                    ->setCustomers([SprykerHandlerModeB2bTest::spyCustomer('DE--5', false), SprykerHandlerModeB2bTest::spyCustomer('DE--7', false)])
                    ->setPagination((new PaginationTransfer())->setNbResults(2));
            }
        };
    }

    /**
     * What Spryker's own CustomerImpersonationOauthUserProviderPlugin would
     * put into `sub` (OauthCustomerConnector's CustomerProvider): the customer
     * by criteria with expanders, the identifier of reference and id, the
     * shop's expanders, json_encode(toArray()).
     */
    private static function sprykersSub(string $reference): string
    {
        $customer = ZedLocator::$facades['customer']->getCustomerByCriteria(
            (new CustomerCriteriaTransfer())->setCustomerReference($reference)->setWithExpanders(true),
        )->getCustomerTransfer();
        $identifier = (new CustomerIdentifierTransfer())
            ->setCustomerReference($customer->getCustomerReference())
            ->setIdCustomer($customer->getIdCustomer());
        $plugins = (fn () => $this->getOauthCustomerIdentifierExpanderPlugins())->call(new OauthCustomerConnectorDependencyProvider());
        foreach ($plugins as $plugin) {
            $identifier = $plugin->expandCustomerIdentifier($identifier, $customer);
        }
        return json_encode($identifier->toArray());
    }

    /**
     * A request through Glue's storefront application: the router (the
     * example's GlueApplicationDependencyProvider) picks the controller, the
     * ControllerFilter runs it.
     *
     * @param array<string, string> $headers
     * @return array{status: int, body: array}
     */
    private static function glue(string $method, string $uri, array $headers = [], string $body = ''): array
    {
        $server = ['REMOTE_ADDR' => IP];
        foreach ($headers as $name => $value) {
            $key = strtoupper(str_replace('-', '_', $name));
            $server[$key === 'CONTENT_TYPE' ? $key : "HTTP_$key"] = $value;
        }
        $request = Request::create($uri, $method, [], [], [], $server, $body);
        $route = (new GlueApplicationFactory())->createRestResourceRouter()->matchRequest($request);
        $request->attributes->add($route);
        [$controller, $action] = $route['_controller'];
        $response = (new GlueRestControllerListenerEventDispatcherPlugin())->filter($controller, $action, $request);
        return ['status' => $response->getStatusCode(), 'body' => json_decode((string) $response->getContent(), true, 512, JSON_THROW_ON_ERROR)];
    }

    /** An agent logs in and impersonates $reference through Glue: the answer. */
    private static function impersonate(string $reference): array
    {
        $json = ['Content-Type' => 'application/vnd.api+json'];
        $login = self::glue('POST', '/agent-access-tokens', $json, self::body('agent-access-tokens', ['username' => AGENT, 'password' => PASSWORD]));
        self::assertSame(201, $login['status']);
        return self::glue('POST', '/agent-customer-impersonation-access-tokens',
            $json + ['X-Agent-Authorization' => 'Bearer ' . $login['body']['data']['attributes']['accessToken']],
            self::body('agent-customer-impersonation-access-tokens', ['customerReference' => $reference]));
    }

    /** The `sub` claim of the impersonation token Glue issued for $reference, as its bytes. */
    private static function subThroughGlue(string $reference): string
    {
        $answer = self::impersonate($reference);
        self::assertSame(201, $answer['status'], json_encode($answer['body']));
        return self::jwt($answer['body']['data']['attributes']['accessToken'])[1]['sub'];
    }

    /** @return list<string> the Zed gateway paths Glue's directory called */
    private static function gatewayCalls(): array
    {
        return array_column(ZedRequestClient::$calls, 'url');
    }

    public function testAB2bCustomerImpersonatedThroughGlueGetsTheSubSprykersGrantWouldPut(): void
    {
        self::assertSame(self::B2B_SUB, self::sprykersSub('DE--7'));
        self::assertSame(self::B2B_SUB, self::subThroughGlue('DE--7'));

        // Zed found the customer: Glue asked the gateway, and Zed ran the
        // expanders, StoredPermission...'s side effect included.
        self::assertNotSame([], self::gatewayCalls());
        self::assertSame([self::GATEWAY], array_values(array_unique(self::gatewayCalls())));
        self::assertSame(['company_user_permissions_' . self::COMPANY_USER_UUID => [
            'value' => json_encode(self::permissions()->toArray()),
            'ttl' => 28800,
        ]], B2bShop::$storage);
        self::assertSame([], LoggerFactory::$records);

        // A B2B shop's customer without a company: Spryker's sub too.
        self::assertSame(CUSTOMER_SUB, self::sprykersSub('DE--5'));
        self::assertSame(CUSTOMER_SUB, self::subThroughGlue('DE--5'));
    }

    public function testAB2bShopWithTheOlderPermissionExpanderGetsThePermissionsInSub(): void
    {
        OauthCustomerConnectorDependencyProvider::$plugins = [
            new CompanyUserOauthCustomerIdentifierExpanderPlugin(),
            new PermissionOauthCustomerIdentifierExpanderPlugin(),
        ];
        self::assertSame(self::B2B_PERMISSIONS_SUB, self::sprykersSub('DE--7'));
        self::assertSame(self::B2B_PERMISSIONS_SUB, self::subThroughGlue('DE--7'));
        self::assertSame([], B2bShop::$storage);
    }

    public function testAB2cShopGetsNoCompanyUserAndNoPermissions(): void
    {
        // The B2C demo shop configures no identifier expanders: even a
        // transfer with a company user gives none, as Spryker's sub.
        OauthCustomerConnectorDependencyProvider::$plugins = [];
        self::assertSame(self::B2C_SUB, self::sprykersSub('DE--7'));
        self::assertSame(self::B2C_SUB, self::subThroughGlue('DE--7'));
        self::assertSame(CUSTOMER_SUB, self::subThroughGlue('DE--5'));
        self::assertSame([], B2bShop::$storage);
    }

    public function testAnUnknownOrInactiveCustomerIsRefusedWith4104(): void
    {
        foreach (['DE--404', 'DE--9'] as $reference) {
            ZedRequestClient::$calls = [];
            $answer = self::impersonate($reference);
            self::assertSame(self::REFUSED, $answer, $reference);
            self::assertSame([self::GATEWAY], array_values(array_unique(self::gatewayCalls())), $reference);
        }
        // Zed answered no record for the unknown customer, an inactive one for the anonymized.
        $client = new AgentOauthClient();
        self::assertNull($client->findImpersonationCustomer((new AgentOauthCustomerRecordTransfer())->setCustomerReference('DE--404'))->getRecord());
        $anonymized = json_decode((string) $client->findImpersonationCustomer((new AgentOauthCustomerRecordTransfer())->setCustomerReference('DE--9'))->getRecord(), true);
        self::assertSame([9, false], [$anonymized['id_customer'], $anonymized['is_active']]);
    }

    public function testTheZedGatewayRoundTripCarriesTheRecordThroughToArrayAndFromArray(): void
    {
        OauthCustomerConnectorDependencyProvider::$plugins = [
            new CompanyUserOauthCustomerIdentifierExpanderPlugin(),
            new PermissionOauthCustomerIdentifierExpanderPlugin(),
        ];
        $zedRecord = Resolver::get(AgentOauthCommunicationFactory::class)->createShopDirectory()->findCustomer('DE--7');
        self::assertSame([
            'id_customer' => 7,
            'customer_reference' => 'DE--7',
            'email' => 'ann.anthony@spryker.com',
            'first_name' => 'Ann',
            'last_name' => 'Anthony',
            'id_company_user' => self::COMPANY_USER_UUID,
            'permissions' => self::permissions()->toArray(),
            'is_active' => true,
        ], $zedRecord);

        // Glue's client: the stub's call, the request and the answer as they went over the wire.
        $asked = (new AgentOauthCustomerRecordTransfer())->setCustomerReference('DE--7');
        $answer = (new AgentOauthClient())->findImpersonationCustomer($asked);
        self::assertInstanceOf(AgentOauthCustomerRecordTransfer::class, $answer);
        self::assertNotSame($asked, $answer, 'a new transfer, built from the answer');
        self::assertSame(['customer_reference' => 'DE--7', 'record' => null], $asked->toArray(), 'the request is not changed');
        self::assertSame([[
            'url' => self::GATEWAY,
            'request' => [
                'transfer' => ['customer_reference' => 'DE--7', 'record' => null],
                'transferClassName' => AgentOauthCustomerRecordTransfer::class,
            ],
            'response' => [
                'transfer' => ['customer_reference' => 'DE--7', 'record' => json_encode($zedRecord)],
                'transferClassName' => AgentOauthCustomerRecordTransfer::class,
            ],
        ]], ZedRequestClient::$calls);
        self::assertSame($zedRecord, json_decode($answer->getRecord(), true), 'the record, nested permissions and all');

        // Glue's directory, as the Glue factory builds it: the same record as Zed's own.
        self::assertSame($zedRecord, (new GlueAgentOauthFactory())->createShopDirectory()->findCustomer('DE--7'));
        self::assertSame(['agent', 'agentOauth'], GlueLocator::$asked);
        self::assertNull((new GlueAgentOauthFactory())->createShopDirectory()->findCustomer('DE--404'));
        self::assertSame(
            ['transfer' => ['customer_reference' => 'DE--404', 'record' => null], 'transferClassName' => AgentOauthCustomerRecordTransfer::class],
            end(ZedRequestClient::$calls)['response'],
        );
    }

    public function testWhenZedCannotAnswerTheImpersonationFailsClosed(): void
    {
        ZedLocator::$facades['customer'] = new class () implements CustomerFacadeInterface {
            public function findCustomerByReference(string $customerReference): CustomerResponseTransfer
            {
                throw new \RuntimeException('SQLSTATE[HY000] [2002] Connection refused');
            }

            public function getCustomerByCriteria(CustomerCriteriaTransfer $criteria): CustomerResponseTransfer
            {
                throw new \RuntimeException('SQLSTATE[HY000] [2002] Connection refused');
            }
        };
        // The Zed request fails (RequestException in Glue): the engine's 500, no token.
        self::assertSame(['status' => 500, 'body' => ['errors' => [['status' => 500, 'detail' => 'Internal Server Error']]]], self::impersonate('DE--7'));
        self::assertSame([], ZedRequestClient::$calls, 'no answer came back');
        try {
            (new AgentOauthClient())->findImpersonationCustomer((new AgentOauthCustomerRecordTransfer())->setCustomerReference('DE--7'));
            self::fail('Zed answered');
        } catch (RequestException $exception) {
            self::assertSame(500, $exception->getCode(), 'what the client sees of a failing Zed');
        }
    }

    public function testTheSearchStaysWithGluesAgentClientAndDoesNotAskZedsGateway(): void
    {
        $json = ['Content-Type' => 'application/vnd.api+json'];
        $login = self::glue('POST', '/agent-access-tokens', $json, self::body('agent-access-tokens', ['username' => AGENT, 'password' => PASSWORD]));
        $search = self::glue('GET', '/agent-customer-search?q=a', ['Authorization' => 'Bearer ' . $login['body']['data']['attributes']['accessToken']]);
        self::assertSame(200, $search['status']);
        self::assertSame(['DE--5', 'DE--7'], array_column($search['body']['data'][0]['attributes']['customers'], 'customerReference'));
        self::assertSame([], ZedRequestClient::$calls);
    }
}
