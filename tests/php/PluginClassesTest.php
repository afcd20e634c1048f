<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\AgentCredentialsOauthGrantTypeConfigurationProvider;
use AgentOauth\AgentOauthScopeInstaller;
use AgentOauth\AgentOauthScopeProvider;
use AgentOauth\AgentOauthUserProvider;
use AgentOauth\CustomerImpersonationOauthScopeProvider;
use AgentOauth\CustomerImpersonationOauthUserProvider;
use AgentOauth\Engine;

/** Plugin mode (D2): arrays with Spryker's transfer toArray() keys. */
final class PluginClassesTest extends TestCase
{
    /** OauthUserTransfer::toArray() of a token request, as Spryker's UserRepository builds it. */
    private static function oauthUser(array $values): array
    {
        return array_replace([
            'is_success' => null,
            'username' => null,
            'password' => null,
            'grant_type' => null,
            'client_id' => 'frontend',
            'client_name' => 'Customer client',
            'user_identifier' => null,
            'customer_reference' => null,
        ], $values);
    }

    public function testTheAgentUserProviderChecksCredentials(): void
    {
        $provider = new AgentOauthUserProvider(self::engine());
        $request = self::oauthUser(['username' => AGENT, 'password' => PASSWORD, 'grant_type' => 'agent_credentials']);

        self::assertTrue($provider->accept($request));
        self::assertFalse($provider->accept(['grant_type' => 'password']));
        self::assertFalse($provider->accept([]));
        self::assertSame([
            'is_success' => true,
            'username' => AGENT,
            'password' => PASSWORD,
            'grant_type' => 'agent_credentials',
            'client_id' => 'frontend',
            'client_name' => 'Customer client',
            'user_identifier' => AGENT_SUB,
            'customer_reference' => null,
        ], $provider->getUser($request));
        self::assertSame(['is_success' => false, 'user_identifier' => null],
            array_intersect_key($provider->getUser(['password' => 'wrong'] + $request), ['is_success' => 0, 'user_identifier' => 0]));
    }

    public function testTheAgentUserProviderFillsMissingKeysWithNull(): void
    {
        $user = (new AgentOauthUserProvider(self::engine()))->getUser(['username' => AGENT, 'password' => PASSWORD]);
        self::assertSame([
            'is_success' => true,
            'username' => AGENT,
            'password' => PASSWORD,
            'grant_type' => null,
            'client_id' => null,
            'client_name' => null,
            'user_identifier' => AGENT_SUB,
            'customer_reference' => null,
        ], $user);
    }

    public function testPluginModeRefusesInactiveAgentsButHasNoLockout(): void
    {
        $engine = self::engine();
        $provider = new AgentOauthUserProvider($engine);
        $request = self::oauthUser(['username' => AGENT, 'password' => 'wrong', 'grant_type' => 'agent_credentials']);
        for ($i = 0; $i < 12; $i++) {
            self::assertFalse($provider->getUser($request)['is_success']);
        }
        self::assertTrue($provider->getUser(['password' => PASSWORD] + $request)['is_success'], 'no lockout in plugin mode (D2)');
        $engine->setAgentStatus(1, 'blocked');
        self::assertFalse($provider->getUser(['password' => PASSWORD] + $request)['is_success']);
        self::assertSame([], $engine->auditEvents(), 'league audits plugin-mode logins, not the engine');
    }

    public function testTheAgentScopeProviderAddsAgent(): void
    {
        $provider = new AgentOauthScopeProvider();
        $request = [
            'default_scopes' => [],
            'grant_type' => 'agent_credentials',
            'client_id' => 'frontend',
            'client_name' => 'Customer client',
            'user_identifier' => AGENT_SUB,
            'request_application' => null,
        ];
        self::assertTrue($provider->accept($request));
        self::assertFalse($provider->accept(['grant_type' => 'customer_impersonation'] + $request));
        self::assertSame([['identifier' => 'agent']], $provider->getScopes($request));
        $default = ['id_oauth_scope' => 3, 'identifier' => 'read', 'description' => null];
        self::assertSame([$default, ['identifier' => 'agent']], $provider->getScopes(['default_scopes' => [$default]] + $request));
        self::assertSame([['identifier' => 'agent']], $provider->getScopes([]));
    }

    public function testTheGrantTypeConfiguration(): void
    {
        self::assertSame([
            'identifier' => 'agent_credentials',
            'fully_qualified_class_name' => 'Spryker\Zed\OauthAgentConnector\Business\League\Grant\AgentCredentialsGrantType',
            'builder_fully_qualified_class_name' => null,
        ], (new AgentCredentialsOauthGrantTypeConfigurationProvider())->getGrantTypeConfiguration());
    }

    public function testTheScopeInstallerIsIdempotent(): void
    {
        $engine = new Engine(self::config());
        $installer = new AgentOauthScopeInstaller($engine);
        self::assertSame(['agent', 'customer', 'customer_impersonation'], $installer->install());
        self::assertSame([], $installer->install());
        self::assertSame(['agent', 'customer', 'customer_impersonation'], $engine->scopes());
    }

    public function testTheImpersonationUserProviderFindsActiveCustomers(): void
    {
        $provider = new CustomerImpersonationOauthUserProvider(self::engine());
        $request = self::oauthUser(['grant_type' => 'customer_impersonation', 'customer_reference' => 'DE--5']);
        self::assertTrue($provider->accept($request));
        self::assertFalse($provider->accept(['grant_type' => 'agent_credentials']));
        self::assertSame([
            'is_success' => true,
            'username' => null,
            'password' => null,
            'grant_type' => 'customer_impersonation',
            'client_id' => 'frontend',
            'client_name' => 'Customer client',
            'user_identifier' => CUSTOMER_SUB,
            'customer_reference' => 'DE--5',
        ], $provider->getUser($request));
        foreach (['DE--404', 'DE--4', '', null] as $reference) {
            $user = $provider->getUser(['customer_reference' => $reference] + $request);
            self::assertSame([false, null], [$user['is_success'], $user['user_identifier']], var_export($reference, true));
        }
    }

    public function testTheImpersonationScopeProvider(): void
    {
        $provider = new CustomerImpersonationOauthScopeProvider();
        self::assertTrue($provider->accept(['grant_type' => 'customer_impersonation']));
        self::assertFalse($provider->accept(['grant_type' => 'agent_credentials']));
        self::assertSame([['identifier' => 'customer_impersonation'], ['identifier' => 'customer']],
            $provider->getScopes(['grant_type' => 'customer_impersonation', 'default_scopes' => null]));
    }

    public function testProvidersUseTheEnginesDirectories(): void
    {
        $engine = self::engine();
        $user = new AgentOauthUserProvider($engine);
        $customers = new CustomerImpersonationOauthUserProvider($engine);
        // Set after the providers were made: they share the engine's callables.
        $engine->setAgentDirectory(static function (): never {
            throw new \RuntimeException('spy_user down');
        });
        $engine->setCustomerDirectory(static fn (string $reference): ?array => null);
        self::assertFalse($customers->getUser(['customer_reference' => 'DE--5'])['is_success']);
        $this->expectException(\AgentOauth\DirectoryException::class);
        $user->getUser(['username' => AGENT, 'password' => PASSWORD]);
    }

    public function testTransferValuesOfTheWrongTypeAreTypeErrors(): void
    {
        $this->expectException(\TypeError::class);
        $this->expectExceptionMessage('`username` must be a string or null');
        (new AgentOauthUserProvider(self::engine()))->getUser(['username' => 5]);
    }
}
