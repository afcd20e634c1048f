<?php

namespace Pyz\Zed\Oauth;

use Pyz\Zed\AgentOauth\Communication\Plugin\Oauth\AgentCredentialsOauthGrantTypeConfigurationProviderPlugin;
use Pyz\Zed\AgentOauth\Communication\Plugin\Oauth\AgentOauthScopeProviderPlugin;
use Pyz\Zed\AgentOauth\Communication\Plugin\Oauth\AgentOauthUserProviderPlugin;
use Pyz\Zed\AgentOauth\Communication\Plugin\Oauth\CustomerImpersonationOauthScopeProviderPlugin;
use Pyz\Zed\AgentOauth\Communication\Plugin\Oauth\CustomerImpersonationOauthUserProviderPlugin;
use Spryker\Zed\Oauth\OauthDependencyProvider as SprykerOauthDependencyProvider;

/**
 * Plugin mode (D2): the integration guide's wiring with the Pyz plugins that
 * delegate to the extension in place of Spryker's OauthAgentConnector and
 * OauthCustomerConnector plugins. Keep the shop's other plugins in their places.
 */
class OauthDependencyProvider extends SprykerOauthDependencyProvider
{
    /**
     * @return array<\Spryker\Zed\OauthExtension\Dependency\Plugin\OauthUserProviderPluginInterface>
     */
    protected function getUserProviderPlugins(): array
    {
        return [
            new AgentOauthUserProviderPlugin(),
            new CustomerImpersonationOauthUserProviderPlugin(),
        ];
    }

    /**
     * @return array<\Spryker\Zed\OauthExtension\Dependency\Plugin\OauthScopeProviderPluginInterface>
     */
    protected function getScopeProviderPlugins(): array
    {
        return [
            new AgentOauthScopeProviderPlugin(),
            new CustomerImpersonationOauthScopeProviderPlugin(),
        ];
    }

    /**
     * @return array<\Spryker\Zed\OauthExtension\Dependency\Plugin\OauthGrantTypeConfigurationProviderPluginInterface>
     */
    protected function getGrantTypeConfigurationProviderPlugins(): array
    {
        return array_merge(parent::getGrantTypeConfigurationProviderPlugins(), [
            new AgentCredentialsOauthGrantTypeConfigurationProviderPlugin(),
        ]);
    }
}
