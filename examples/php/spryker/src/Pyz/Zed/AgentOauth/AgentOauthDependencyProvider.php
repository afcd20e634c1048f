<?php

namespace Pyz\Zed\AgentOauth;

use Pyz\Zed\OauthCustomerConnector\OauthCustomerConnectorDependencyProvider;
use Spryker\Zed\Kernel\AbstractBundleDependencyProvider;
use Spryker\Zed\Kernel\Container;
use Spryker\Zed\OauthCustomerConnector\OauthCustomerConnectorDependencyProvider as SprykerOauthCustomerConnectorDependencyProvider;

class AgentOauthDependencyProvider extends AbstractBundleDependencyProvider
{
    public const FACADE_AGENT = 'FACADE_AGENT';
    public const FACADE_CUSTOMER = 'FACADE_CUSTOMER';
    public const PLUGINS_OAUTH_CUSTOMER_IDENTIFIER_EXPANDER = 'PLUGINS_OAUTH_CUSTOMER_IDENTIFIER_EXPANDER';

    public function provideCommunicationLayerDependencies(Container $container): Container
    {
        $container->set(static::FACADE_AGENT, static fn (Container $container) => $container->getLocator()->agent()->facade());
        $container->set(static::FACADE_CUSTOMER, static fn (Container $container) => $container->getLocator()->customer()->facade());
        $container->set(static::PLUGINS_OAUTH_CUSTOMER_IDENTIFIER_EXPANDER, fn () => $this->getOauthCustomerIdentifierExpanderPlugins());

        return $container;
    }

    /**
     * The identifier expanders Spryker's CustomerImpersonationOauthUserProviderPlugin
     * runs: the shop's OauthCustomerConnector list (B2B demo shop:
     * CompanyUserOauthCustomerIdentifierExpanderPlugin and
     * StoredPermissionOauthCustomerIdentifierExpanderPlugin; B2C demo shop:
     * none), read from that module's dependency provider so the two cannot
     * drift apart.
     *
     * @return array<\Spryker\Zed\OauthCustomerConnectorExtension\Dependency\Plugin\OauthCustomerIdentifierExpanderPluginInterface>
     */
    protected function getOauthCustomerIdentifierExpanderPlugins(): array
    {
        return $this->createOauthCustomerConnectorDependencyProvider()
            ->provideBusinessLayerDependencies(new Container())
            ->get(SprykerOauthCustomerConnectorDependencyProvider::PLUGINS_OAUTH_CUSTOMER_IDENTIFIER_EXPANDER);
    }

    /**
     * The shop's Pyz\Zed\OauthCustomerConnector\OauthCustomerConnectorDependencyProvider
     * where it has one (B2B demo shop), Spryker's otherwise (B2C demo shop).
     */
    protected function createOauthCustomerConnectorDependencyProvider(): SprykerOauthCustomerConnectorDependencyProvider
    {
        return class_exists(OauthCustomerConnectorDependencyProvider::class)
            ? new OauthCustomerConnectorDependencyProvider()
            : new SprykerOauthCustomerConnectorDependencyProvider();
    }
}
