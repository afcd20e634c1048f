<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\Engine;
use AgentOauth\InvalidAccessTokenException;
use AgentOauth\Tests\Fixtures\B2bShop;
use Generated\Shared\Transfer\CompanyUserTransfer;
use Generated\Shared\Transfer\CustomerAutocompleteResponseTransfer;
use Generated\Shared\Transfer\CustomerCriteriaTransfer;
use Generated\Shared\Transfer\CustomerIdentifierTransfer;
use Generated\Shared\Transfer\CustomerQueryTransfer;
use Generated\Shared\Transfer\CustomerResponseTransfer;
use Generated\Shared\Transfer\CustomerTransfer;
use Generated\Shared\Transfer\FindAgentResponseTransfer;
use Generated\Shared\Transfer\OauthScopeRequestTransfer;
use Generated\Shared\Transfer\OauthScopeTransfer;
use Generated\Shared\Transfer\OauthUserTransfer;
use Generated\Shared\Transfer\PaginationTransfer;
use Generated\Shared\Transfer\PermissionCollectionTransfer;
use Generated\Shared\Transfer\PermissionTransfer;
use Generated\Shared\Transfer\UserTransfer;
use Pyz\Shared\AgentOauth\AgentOauthConstants;
use Pyz\Zed\AgentOauth\AgentOauthDependencyProvider;
use Pyz\Zed\AgentOauth\Communication\Plugin\Installer\AgentOauthEngineScopeInstallerPlugin;
use Pyz\Zed\Console\ConsoleDependencyProvider;
use Pyz\Zed\Installer\InstallerDependencyProvider;
use Pyz\Zed\Oauth\OauthDependencyProvider;
use Pyz\Zed\OauthCustomerConnector\OauthCustomerConnectorDependencyProvider;
use Spryker\Zed\Agent\Business\AgentFacadeInterface;
use Spryker\Zed\CompanyUsersRestApi\Communication\Plugin\OauthCustomerConnector\CompanyUserOauthCustomerIdentifierExpanderPlugin;
use Spryker\Zed\Customer\Business\CustomerFacadeInterface;
use Spryker\Zed\Kernel\AbstractBundleConfig;
use Spryker\Zed\Kernel\Container;
use Spryker\Zed\Kernel\Locator;
use Spryker\Zed\Kernel\Resolver;
use Spryker\Zed\Oauth\Business\OauthFacadeInterface;
use Spryker\Zed\Oauth\Communication\Plugin\Installer\OauthClientInstallerPlugin;
use Spryker\Zed\OauthAgentConnector\Communication\Plugin\Installer\AgentOauthScopeInstallerPlugin;
use Spryker\Zed\OauthCustomerConnector\Communication\Plugin\Installer\OauthCustomerScopeInstallerPlugin;
use Spryker\Zed\OauthPermission\Communication\Plugin\OauthCustomerConnector\PermissionOauthCustomerIdentifierExpanderPlugin;
use Spryker\Zed\OauthPermission\Communication\Plugin\OauthCustomerConnector\StoredPermissionOauthCustomerIdentifierExpanderPlugin;
use Symfony\Component\Console\Input\ArrayInput;
use Symfony\Component\Console\Output\BufferedOutput;

require_once __DIR__ . '/Fixtures/spryker-example.php';

/**
 * The Zed side of the Pyz example (issue 13) on stand-ins for Spryker: the
 * directory of a B2B and a B2C shop against what Spryker's
 * CustomerImpersonationOauthUserProviderPlugin puts into `sub`, plugin mode
 * on top of Spryker's installers and grants, and the console commands with a
 * real engine on a SQLite file.
 */
final class SprykerZedTest extends TestCase
{
    /** The company user of the docs' impersonation token. */
    private const COMPANY_USER_UUID = 'dffc622b-8dd6-59ec-8e19-c5a4d5e74b1a';

    private static string $hash;

    private string $dir;

    /** @var array<int, string> spy_oauth_scope: id_oauth_scope => identifier */
    public static array $spyOauthScope = [];

    /** @var list<string> spy_oauth_client identifiers */
    public static array $spyOauthClient = [];

    /** spy_customer: DE--5 (no company), DE--7 (a B2B company user). */
    public static function spyCustomer(string $reference, bool $withExpanders): ?CustomerTransfer
    {
        $customer = match ($reference) {
            'DE--5' => (new CustomerTransfer())->setIdCustomer(5)->setCustomerReference('DE--5')
                ->setEmail('spencor.hopkin@spryker.com')->setFirstName('Spencor')->setLastName('Hopkin'),
            'DE--7' => (new CustomerTransfer())->setIdCustomer(7)->setCustomerReference('DE--7')
                ->setEmail('ann.anthony@spryker.com')->setFirstName('Ann')->setLastName('Anthony'),
            default => null,
        };
        // The Customer module's CustomerTransferCompanyUserExpanderPlugin
        // (spryker/company-user) runs only with the expanders.
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

    /** @param array<string, mixed> $overrides */
    private function shopConfig(array $overrides = []): array
    {
        return self::config(array_replace(['database_path' => $this->dir . '/agent-oauth.db'], $overrides));
    }

    protected function setUp(): void
    {
        $this->dir = sys_get_temp_dir() . '/agent-oauth-zed-' . bin2hex(random_bytes(6));
        self::assertTrue(mkdir($this->dir));
        Resolver::reset();
        B2bShop::reset();
        B2bShop::$activeCompanyUsers = [self::COMPANY_USER_UUID => 17];
        B2bShop::$permissions = [17 => self::permissions()];
        OauthCustomerConnectorDependencyProvider::$plugins = null;
        self::$spyOauthScope = [];
        self::$spyOauthClient = [];
        AbstractBundleConfig::$values = [
            AgentOauthConstants::ENGINE_CONFIGURATION => $this->shopConfig(),
            AgentOauthConstants::KEY_ROTATION_DIRECTORY => $this->dir . '/keys',
        ];
        Locator::$facades = [
            'agent' => new class () implements AgentFacadeInterface {
                public function findAgentByUsername(string $username): FindAgentResponseTransfer
                {
                    $found = $username === AGENT;
                    return (new FindAgentResponseTransfer())->setIsAgentFound($found)->setAgent($found ? SprykerZedTest::spyUser() : null);
                }

                public function findCustomersByQuery(CustomerQueryTransfer $query): CustomerAutocompleteResponseTransfer
                {
                    return (new CustomerAutocompleteResponseTransfer())
                        ->setCustomers([SprykerZedTest::spyCustomer('DE--5', false), SprykerZedTest::spyCustomer('DE--7', false)])
                        ->setPagination((new PaginationTransfer())->setNbResults(2));
                }
            },
            'customer' => new class () implements CustomerFacadeInterface {
                /** Spryker's: no expanders, so no company user. */
                public function findCustomerByReference(string $customerReference): CustomerResponseTransfer
                {
                    $customer = SprykerZedTest::spyCustomer($customerReference, false);
                    return (new CustomerResponseTransfer())->setIsSuccess($customer !== null)->setCustomerTransfer($customer);
                }

                public function getCustomerByCriteria(CustomerCriteriaTransfer $criteria): CustomerResponseTransfer
                {
                    $customer = SprykerZedTest::spyCustomer((string) $criteria->getCustomerReference(), (bool) $criteria->getWithExpanders());
                    return (new CustomerResponseTransfer())->setIsSuccess($customer !== null)->setCustomerTransfer($customer);
                }
            },
            // spy_oauth_scope and spy_oauth_client behind Spryker's Oauth facade.
            'oauth' => new class () implements OauthFacadeInterface {
                public function saveScope(OauthScopeTransfer $oauthScopeTransfer): OauthScopeTransfer
                {
                    $id = count(SprykerZedTest::$spyOauthScope) + 1;
                    SprykerZedTest::$spyOauthScope[$id] = $oauthScopeTransfer->getIdentifier();
                    return $oauthScopeTransfer->setIdOauthScope($id);
                }

                public function findScopeByIdentifier(OauthScopeTransfer $oauthScopeTransfer): ?OauthScopeTransfer
                {
                    $id = array_search($oauthScopeTransfer->getIdentifier(), SprykerZedTest::$spyOauthScope, true);
                    return $id === false ? null : (new OauthScopeTransfer())->setIdOauthScope($id)->setIdentifier($oauthScopeTransfer->getIdentifier());
                }

                public function getScopesByIdentifiers(array $customerScopes): array
                {
                    $found = array_intersect(SprykerZedTest::$spyOauthScope, $customerScopes);
                    return array_values(array_map(static fn (string $identifier) => (new OauthScopeTransfer())->setIdentifier($identifier), $found));
                }

                public function installOauthClient(): void
                {
                    SprykerZedTest::$spyOauthClient = array_values(array_unique([...SprykerZedTest::$spyOauthClient, 'frontend']));
                }

                public function deleteExpiredRefreshTokens(): ?int
                {
                    return 0;
                }
            },
        ];
    }

    protected function tearDown(): void
    {
        OauthCustomerConnectorDependencyProvider::$plugins = null;
        B2bShop::reset();
        Resolver::reset();
        $files = new \RecursiveIteratorIterator(
            new \RecursiveDirectoryIterator($this->dir, \FilesystemIterator::SKIP_DOTS),
            \RecursiveIteratorIterator::CHILD_FIRST,
        );
        foreach ($files as $file) {
            $file->isDir() ? rmdir($file->getPathname()) : unlink($file->getPathname());
        }
        rmdir($this->dir);
    }

    /** The engine the Zed plugins and consoles share (the worker's shared engine with the shop's directories). */
    private static function zedEngine(): Engine
    {
        return Resolver::get('Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory')->getEngine();
    }

    /** Calls a protected method of Spryker's dependency providers, as Spryker's kernel does. */
    private static function plugins(object $provider, string $method, mixed ...$arguments): array
    {
        return (fn () => $this->$method(...$arguments))->call($provider);
    }

    /** Spryker's UserRepository::getUserEntityByRequest() over the Pyz user provider plugins. */
    private static function oauthUser(array $request): ?OauthUserTransfer
    {
        foreach (self::plugins(new OauthDependencyProvider(), 'getUserProviderPlugins') as $plugin) {
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

    /**
     * What Spryker's own CustomerImpersonationOauthUserProviderPlugin would
     * put into `sub` (OauthCustomerConnector's CustomerProvider::
     * getCustomerImpersonationOauthUser()): the customer by criteria with
     * expanders, the identifier of reference and id, the shop's expanders,
     * json_encode(toArray()).
     */
    private static function sprykersSub(string $reference): string
    {
        $customer = Locator::$facades['customer']->getCustomerByCriteria(
            (new CustomerCriteriaTransfer())->setCustomerReference($reference)->setWithExpanders(true),
        )->getCustomerTransfer();
        $identifier = (new CustomerIdentifierTransfer())
            ->setCustomerReference($customer->getCustomerReference())
            ->setIdCustomer($customer->getIdCustomer());
        foreach (self::plugins(new OauthCustomerConnectorDependencyProvider(), 'getOauthCustomerIdentifierExpanderPlugins') as $plugin) {
            $identifier = $plugin->expandCustomerIdentifier($identifier, $customer);
        }
        return json_encode($identifier->toArray());
    }

    /** @return array{0: int, 1: string} the exit code and what the command printed, as `vendor/bin/console NAME ...` */
    private static function console(string $name, array $options = []): array
    {
        foreach (self::plugins(new ConsoleDependencyProvider(), 'getConsoleCommands', new Container()) as $command) {
            if ($command->getName() === $name) {
                $output = new BufferedOutput();
                $code = $command->run(new ArrayInput($options), $output);
                return [$code, $output->fetch()];
            }
        }
        self::fail("no command $name");
    }

    // --- The directory of a B2B and a B2C shop (issue 13, part 1) ---

    public function testTheDirectoryRunsTheShopsOauthCustomerConnectorExpanders(): void
    {
        $plugins = (new AgentOauthDependencyProvider())->provideCommunicationLayerDependencies(new Container())
            ->get(AgentOauthDependencyProvider::PLUGINS_OAUTH_CUSTOMER_IDENTIFIER_EXPANDER);
        self::assertSame([
            CompanyUserOauthCustomerIdentifierExpanderPlugin::class,
            StoredPermissionOauthCustomerIdentifierExpanderPlugin::class,
        ], array_map(static fn (object $plugin): string => $plugin::class, $plugins), 'the B2B demo shop\'s OauthCustomerConnectorDependencyProvider');
    }

    public function testAB2bCustomerKeepsTheCompanyUserAsSprykersSubDoes(): void
    {
        // The B2B demo shop: CompanyUser... and StoredPermission... expanders.
        self::assertSame([
            'id_customer' => 7,
            'customer_reference' => 'DE--7',
            'email' => 'ann.anthony@spryker.com',
            'first_name' => 'Ann',
            'last_name' => 'Anthony',
            'id_company_user' => self::COMPANY_USER_UUID,
            'permissions' => null,
            'is_active' => true,
            'impersonation_allowed' => true,
        ], self::zedEngine()->findCustomer('DE--7'));

        // Plugin mode: league's `sub` is Spryker's, byte for byte.
        $sub = '{"id_company_user":"' . self::COMPANY_USER_UUID . '","id_agent":null,"customer_reference":"DE--7","id_customer":7,"permissions":null}';
        self::assertSame($sub, self::sprykersSub('DE--7'));
        self::assertSame($sub, self::oauthUser(['grant_type' => 'customer_impersonation', 'customer_reference' => 'DE--7'])?->getUserIdentifier());

        // StoredPermission...: the permissions went to the storage, for Glue's
        // StoredOauthPermissionStoragePlugin, as Spryker's provider stores them.
        self::assertSame(['company_user_permissions_' . self::COMPANY_USER_UUID => [
            'value' => json_encode(self::permissions()->toArray()),
            'ttl' => 28800,
        ]], B2bShop::$storage);

        // The engine's own impersonation carries them too.
        $agent = self::login(self::zedEngine());
        $token = self::zedEngine()->impersonateCustomer($agent['access_token'], 'DE--7', null, IP)['access_token'];
        self::assertSame($sub, self::zedEngine()->verify($token)['sub']);
    }

    public function testAB2bShopWithTheOlderPermissionExpanderGetsThePermissionsInSub(): void
    {
        OauthCustomerConnectorDependencyProvider::$plugins = [
            new CompanyUserOauthCustomerIdentifierExpanderPlugin(),
            new PermissionOauthCustomerIdentifierExpanderPlugin(),
        ];
        $permissions = ['permissions' => [
            ['id_permission' => 3, 'key' => 'AddCartItemPermissionPlugin', 'configuration' => [], 'configuration_signature' => [], 'is_infrastructural' => false],
            ['id_permission' => 9, 'key' => 'PlaceOrderWithAmountUpToPermissionPlugin', 'configuration' => ['cent_amount' => ['EUR' => 100000]],
                'configuration_signature' => [], 'is_infrastructural' => false],
        ]];
        $record = self::zedEngine()->findCustomer('DE--7');
        self::assertSame(self::COMPANY_USER_UUID, $record['id_company_user']);
        self::assertSame($permissions, $record['permissions']);

        $sub = '{"id_company_user":"' . self::COMPANY_USER_UUID . '","id_agent":null,"customer_reference":"DE--7","id_customer":7,"permissions":'
            . '{"permissions":[{"id_permission":3,"key":"AddCartItemPermissionPlugin","configuration":[],"configuration_signature":[],"is_infrastructural":false},'
            . '{"id_permission":9,"key":"PlaceOrderWithAmountUpToPermissionPlugin","configuration":{"cent_amount":{"EUR":100000}},"configuration_signature":[],"is_infrastructural":false}]}}';
        self::assertSame($sub, self::sprykersSub('DE--7'));
        self::assertSame($sub, self::oauthUser(['grant_type' => 'customer_impersonation', 'customer_reference' => 'DE--7'])?->getUserIdentifier());
        self::assertSame([], B2bShop::$storage);
    }

    public function testAB2cShopHasNoCompanyUserAndNoPermissions(): void
    {
        // The B2C demo shop configures no identifier expanders: even a
        // transfer with a company user gives none, as Spryker's sub.
        OauthCustomerConnectorDependencyProvider::$plugins = [];
        $record = self::zedEngine()->findCustomer('DE--7');
        self::assertSame([null, null], [$record['id_company_user'], $record['permissions']]);
        $sub = '{"id_company_user":null,"id_agent":null,"customer_reference":"DE--7","id_customer":7,"permissions":null}';
        self::assertSame($sub, self::sprykersSub('DE--7'));
        self::assertSame($sub, self::oauthUser(['grant_type' => 'customer_impersonation', 'customer_reference' => 'DE--7'])?->getUserIdentifier());
        self::assertSame([], B2bShop::$storage);
    }

    public function testAB2bShopsCustomerWithoutACompanyAndTheSearch(): void
    {
        self::assertSame(CUSTOMER_SUB, self::sprykersSub('DE--5'));
        self::assertSame(CUSTOMER_SUB, self::oauthUser(['grant_type' => 'customer_impersonation', 'customer_reference' => 'DE--5'])?->getUserIdentifier());
        self::assertNull(self::oauthUser(['grant_type' => 'customer_impersonation', 'customer_reference' => 'DE--404']));
        // The search lists customers without expanders: their records carry no company.
        self::assertSame([[null, null], [null, null]], array_map(
            static fn (array $c): array => [$c['id_company_user'], $c['permissions']],
            self::zedEngine()->searchCustomers('')['customers'],
        ));
        self::assertSame([], B2bShop::$storage);
    }

    // --- Plugin mode on top of Spryker's installers and grants (issue 13, part 2) ---

    public function testTheInstallersWriteBothStores(): void
    {
        $plugins = (new InstallerDependencyProvider())->getInstallerPlugins();
        self::assertSame([
            OauthClientInstallerPlugin::class,
            OauthCustomerScopeInstallerPlugin::class,
            AgentOauthScopeInstallerPlugin::class,
            AgentOauthEngineScopeInstallerPlugin::class,
        ], array_map(static fn (object $plugin): string => $plugin::class, $plugins));

        // console setup:init-db, twice.
        foreach ([1, 2] as $run) {
            foreach ($plugins as $plugin) {
                $plugin->install();
            }
        }
        self::assertSame([1 => 'customer', 2 => 'customer_impersonation', 3 => 'agent'], self::$spyOauthScope);
        self::assertSame(['frontend'], self::$spyOauthClient);
        self::assertSame(['agent', 'customer', 'customer_impersonation'], self::zedEngine()->scopes());

        // League's refresh grant validates every scope of the refreshed token
        // against spy_oauth_scope: each one plugin mode grants is there.
        foreach (['agent_credentials' => ['agent'], 'customer_impersonation' => ['customer_impersonation', 'customer']] as $grantType => $expected) {
            $request = (new OauthScopeRequestTransfer())->setGrantType($grantType)->setDefaultScopes([]);
            $granted = [];
            foreach (self::plugins(new OauthDependencyProvider(), 'getScopeProviderPlugins') as $plugin) {
                if ($plugin->accept($request)) {
                    foreach ($plugin->getScopes($request) as $scope) {
                        $granted[] = $scope->getIdentifier();
                    }
                }
            }
            self::assertSame($expected, $granted);
            foreach ($granted as $identifier) {
                self::assertNotNull(Locator::$facades['oauth']->findScopeByIdentifier((new OauthScopeTransfer())->setIdentifier($identifier)), $identifier);
            }
        }
    }

    public function testTheGrantTypesAreSprykersAgentAndImpersonationGrants(): void
    {
        $configurations = array_map(
            static fn (object $plugin): array => $plugin->getGrantTypeConfiguration()->toArray(),
            self::plugins(new OauthDependencyProvider(), 'getGrantTypeConfigurationProviderPlugins'),
        );
        // After the parent's (password, refresh_token; none in the stand-in).
        self::assertSame([
            [
                'identifier' => 'agent_credentials',
                'fully_qualified_class_name' => 'Spryker\Zed\OauthAgentConnector\Business\League\Grant\AgentCredentialsGrantType',
                'builder_fully_qualified_class_name' => null,
            ],
            [
                'identifier' => 'customer_impersonation',
                'fully_qualified_class_name' => 'Spryker\Zed\OauthCustomerConnector\Business\League\Grant\CustomerImpersonationGrantType',
                'builder_fully_qualified_class_name' => null,
            ],
        ], $configurations);
    }

    // --- Console commands and the cron entry (issue 13, part 3) ---

    public function testTheCommandsAreRegisteredAndCronRunsThePurge(): void
    {
        $commands = self::plugins(new ConsoleDependencyProvider(), 'getConsoleCommands', new Container());
        self::assertSame(
            ['oauth:refresh-token:remove-expired', 'agent-oauth:purge-expired', 'agent-oauth:audit', 'agent-oauth:keys:rotate'],
            array_map(static fn (object $command): ?string => $command->getName(), $commands),
        );

        $jobs = [];
        require ROOT . '/examples/php/spryker/config/Zed/cronjobs/jenkins.php';
        self::assertSame([
            [
                'name' => 'remove-expired-refresh-tokens',
                'command' => '$PHP_BIN vendor/bin/console oauth:refresh-token:remove-expired',
                'schedule' => '*/5 * * * *',
                'enable' => true,
            ],
            [
                'name' => 'agent-oauth-purge-expired',
                'command' => '$PHP_BIN vendor/bin/console agent-oauth:purge-expired --retention=7776000',
                'schedule' => '0 * * * *',
                'enable' => true,
            ],
        ], $jobs);
    }

    public function testPurgeExpiredRemovesTheExpiredSessionsOnly(): void
    {
        // The shop's engine issues sessions that expire after a second; an
        // engine on the same database with the default lifetimes, one that lives.
        AbstractBundleConfig::$values[AgentOauthConstants::ENGINE_CONFIGURATION] = $this->shopConfig(['access_token_ttl' => 1, 'refresh_token_ttl' => 1]);
        $long = new Engine($this->shopConfig());
        $long->addAgent(AGENT, PASSWORD);
        $living = self::login($long);
        self::login(self::zedEngine());
        $issued = time(); // the short session expires by $issued + 1
        while (time() < $issued + 2) {
            usleep(50_000);
        }

        self::assertSame([0, "Removed 0 refresh token(s) of sessions expired more than 3600 s ago, the ended lockout counters and the expired consent codes.\n"],
            self::console('agent-oauth:purge-expired', ['--retention' => '3600']));
        self::assertSame([0, "Removed 1 refresh token(s) of sessions expired more than 0 s ago, the ended lockout counters and the expired consent codes.\n"],
            self::console('agent-oauth:purge-expired'));
        self::assertSame(0, self::zedEngine()->purgeExpired(0), 'nothing expired is left');
        self::assertSame('Bearer', $long->refresh($living['refresh_token'], IP)['token_type'], 'the living session stays');

        self::assertSame([1, " --retention takes seconds (0 or more), not \"-1\".\n"], self::console('agent-oauth:purge-expired', ['--retention' => '-1']));
        self::assertSame([1, " --retention takes seconds (0 or more), not \"1h\".\n"], self::console('agent-oauth:purge-expired', ['--retention' => '1h']));
    }

    public function testAuditPrintsTheFilteredEvents(): void
    {
        $engine = self::zedEngine();
        $agent = self::login($engine);
        try {
            $engine->agentLogin(AGENT, 'wrong', '10.0.0.9');
            self::fail('the wrong password logged in');
        } catch (\AgentOauth\AuthenticationFailedException) {
        }
        $engine->impersonateCustomer($agent['access_token'], 'DE--5', 'ticket 4711', IP);
        $engine->impersonateCustomer($agent['access_token'], 'DE--7', "<info>call</info> back\nline 2", IP);
        $events = $engine->auditEvents();
        self::assertSame(['agent_login_succeeded', 'agent_login_failed', 'impersonation_started', 'impersonation_started'], array_column($events, 'kind'));
        $time = static fn (array $event): string => gmdate('Y-m-d\TH:i:s\Z', $event['at']);

        [$code, $json] = self::console('agent-oauth:audit', ['--json' => true]);
        self::assertSame(0, $code);
        self::assertSame($events, array_map(static fn (string $line): array => json_decode($line, true, 512, JSON_THROW_ON_ERROR), explode("\n", rtrim($json, "\n"))));
        self::assertCount(4, explode("\n", rtrim($json, "\n")));

        self::assertSame([0, sprintf("%6d %s impersonation_started  agent=1 username=admin@spryker.com customer=DE--5 ip=127.0.0.1 reason=\"ticket 4711\" jti=%s\n",
            $events[2]['id'], $time($events[2]), $events[2]['jti'])], self::console('agent-oauth:audit', ['--customer' => 'DE--5']));
        // Request values are written raw: no console style is read from them, no line is forged.
        self::assertSame([0, sprintf("%6d %s impersonation_started  agent=1 username=admin@spryker.com customer=DE--7 ip=127.0.0.1 reason=\"<info>call</info> back\\nline 2\" jti=%s\n",
            $events[3]['id'], $time($events[3]), $events[3]['jti'])], self::console('agent-oauth:audit', ['--customer' => 'DE--7']));
        self::assertSame([0, sprintf("%6d %s agent_login_succeeded  agent=1 username=admin@spryker.com ip=127.0.0.1 jti=%s\n",
            $events[0]['id'], $time($events[0]), $events[0]['jti'])], self::console('agent-oauth:audit', ['--agent' => '1', '--limit' => '1']));
        self::assertSame([0, implode('', [
            sprintf("%6d %s agent_login_succeeded  agent=1 username=admin@spryker.com ip=127.0.0.1 jti=%s\n", $events[0]['id'], $time($events[0]), $events[0]['jti']),
            sprintf("%6d %s agent_login_failed     username=admin@spryker.com ip=10.0.0.9 code=4101\n", $events[1]['id'], $time($events[1])),
            sprintf("%6d %s impersonation_started  agent=1 username=admin@spryker.com customer=DE--5 ip=127.0.0.1 reason=\"ticket 4711\" jti=%s\n",
                $events[2]['id'], $time($events[2]), $events[2]['jti']),
            sprintf("%6d %s impersonation_started  agent=1 username=admin@spryker.com customer=DE--7 ip=127.0.0.1 reason=\"<info>call</info> back\\nline 2\" jti=%s\n",
                $events[3]['id'], $time($events[3]), $events[3]['jti']),
        ])], self::console('agent-oauth:audit'));

        // --from includes, --to excludes; Unix seconds or RFC 3339.
        self::assertSame([0, "No audit events.\n"], self::console('agent-oauth:audit', ['--from' => (string) ($events[3]['at'] + 1)]));
        self::assertSame([0, "No audit events.\n"], self::console('agent-oauth:audit', ['--to' => $time($events[0])]));
        self::assertSame([0, ''], self::console('agent-oauth:audit', ['--to' => $time($events[0]), '--json' => true]));
        [, $all] = self::console('agent-oauth:audit', ['--from' => $time($events[0]), '--to' => (string) ($events[3]['at'] + 1)]);
        self::assertCount(4, explode("\n", rtrim($all, "\n")));
        self::assertSame([0, "No audit events.\n"], self::console('agent-oauth:audit', ['--agent' => '2']));

        self::assertSame([1, " --agent takes a positive integer, not \"admin\".\n"], self::console('agent-oauth:audit', ['--agent' => 'admin']));
        self::assertSame([1, " --limit takes a positive integer, not \"0\".\n"], self::console('agent-oauth:audit', ['--limit' => '0']));
        self::assertSame([1, " --from takes Unix seconds or an RFC 3339 time, not \"yesterday\".\n"], self::console('agent-oauth:audit', ['--from' => 'yesterday']));
    }

    public function testKeysRotateWritesANewPairAndTheOldKeyKeepsVerifying(): void
    {
        // The shop's key file, as OauthConstants::PRIVATE_KEY_PATH names it.
        copy(TEST_KEY, $this->dir . '/dev_only_private.key');
        AbstractBundleConfig::$values[AgentOauthConstants::ENGINE_CONFIGURATION] = $this->shopConfig(['private_key_path' => 'file://' . $this->dir . '/dev_only_private.key']);
        $old = self::zedEngine();
        $oldKid = $old->kid();
        $oldPublicKey = str_replace("\r\n", "\n", $old->publicKeyPem());
        $oldToken = self::login($old)['access_token'];

        $before = time();
        [$code, $printed] = self::console('agent-oauth:keys:rotate');
        self::assertSame(0, $code, $printed);
        $keys = $this->dir . '/keys';
        $previous = glob("$keys/previous/*.pem");
        self::assertCount(1, $previous);
        self::assertMatchesRegularExpression('/^(\d+)-' . preg_quote($oldKid, '/') . '\.pem$/', basename($previous[0]), 'previous/<rotated-at>-<kid>.pem');
        self::assertGreaterThanOrEqual($before, (int) basename($previous[0]));
        self::assertSame($oldPublicKey, file_get_contents($previous[0]));

        // The new pair: RSA 2048, the private key readable by its owner only.
        clearstatcache();
        self::assertSame(0600, fileperms("$keys/private.pem") & 0777);
        self::assertSame(0644, fileperms("$keys/public.pem") & 0777);
        $private = openssl_pkey_get_private((string) file_get_contents("$keys/private.pem"));
        self::assertNotFalse($private);
        $details = openssl_pkey_get_details($private);
        self::assertSame([2048, OPENSSL_KEYTYPE_RSA], [$details['bits'], $details['type']]);
        self::assertSame($details['key'], file_get_contents("$keys/public.pem"));

        // The deploy: the new pair signs, the previous public key verifies.
        $deployed = new Engine($this->shopConfig([
            'private_key_path' => "$keys/private.pem",
            'previous_public_key_paths' => glob("$keys/previous/*.pem"),
        ]));
        $newKid = $deployed->kid();
        self::assertNotSame($oldKid, $newKid);
        self::assertSame($details['key'], str_replace("\r\n", "\n", $deployed->publicKeyPem()));
        self::assertSame('agent', $deployed->verify($oldToken)['kind'], 'a token of the old key keeps verifying');
        $deployed->addAgent(AGENT, PASSWORD);
        self::assertSame($newKid, self::jwt(self::login($deployed)['access_token'])[0]['kid']);
        $withoutPrevious = new Engine($this->shopConfig(['private_key_path' => "$keys/private.pem"]));
        try {
            $withoutPrevious->verify($oldToken);
            self::fail('the old key verified without previous_public_key_paths');
        } catch (InvalidAccessTokenException) {
        }

        self::assertSame(implode("\n", [
            "Signing key $oldKid -> $newKid (not deployed yet: the shop still signs with $oldKid).",
            "New private key (mode 0600): $keys/private.pem",
            "New public key: $keys/public.pem",
            "Previous public key: {$previous[0]}",
            'Next:',
            "  1. Deploy the new pair as the shop's OAuth keys: private.pem as SPRYKER_OAUTH_KEY_PRIVATE, public.pem as",
            '     SPRYKER_OAUTH_KEY_PUBLIC (or to the files OauthConstants::PRIVATE_KEY_PATH and PUBLIC_KEY_PATH name),',
            "     and the previous public key in the engine's previous_public_key_paths. Then delete private.pem here,",
            '     unless the shop reads its key from this directory.',
            '  2. Reload PHP-FPM: the workers keep the parsed key (D20).',
            '  3. 28800 s after the deploy, delete the previous public key: every token it signed has expired.',
        ]) . "\n", $printed);
        self::assertStringNotContainsString('PRIVATE KEY', $printed);
        self::assertSame(file_get_contents(TEST_KEY), file_get_contents($this->dir . '/dev_only_private.key'), 'the running key is untouched');

        // Again before the deploy: refused, nothing overwritten (the shop may
        // read its running key from here).
        $firstPrivate = file_get_contents("$keys/private.pem");
        self::assertSame(
            [1, " The key was not rotated: $keys/private.pem exists: deploy that pair and delete it first\n"],
            self::console('agent-oauth:keys:rotate', ['--directory' => $keys]),
        );
        self::assertSame($firstPrivate, file_get_contents("$keys/private.pem"));
        // Once it is deployed and deleted: a newer pair, the same previous key once.
        unlink("$keys/private.pem");
        [$code, $again] = self::console('agent-oauth:keys:rotate', ['--directory' => $keys]);
        self::assertSame(0, $code);
        self::assertSame($previous, glob("$keys/previous/*.pem"));
        self::assertNotSame($firstPrivate, file_get_contents("$keys/private.pem"));
        self::assertStringContainsString("Previous public key: {$previous[0]}\n", $again);
        self::assertSame([], glob("$keys/.agent-oauth-*"), 'no temporary file stays');
    }

    public function testKeysRotateRefusesWithoutAWritableDirectory(): void
    {
        unset(AbstractBundleConfig::$values[AgentOauthConstants::KEY_ROTATION_DIRECTORY]);
        self::assertSame([1, " No key directory: pass --directory or set AgentOauthConstants::KEY_ROTATION_DIRECTORY.\n"], self::console('agent-oauth:keys:rotate'));

        file_put_contents($this->dir . '/file', '');
        self::assertSame([1, " The key was not rotated: Cannot create the directory {$this->dir}/file/keys\n"],
            self::console('agent-oauth:keys:rotate', ['--directory' => $this->dir . '/file/keys']));
        self::assertSame(['agent-oauth.db', 'file'], array_values(array_diff(scandir($this->dir), ['.', '..', 'agent-oauth.db-shm', 'agent-oauth.db-wal'])));
    }
}
