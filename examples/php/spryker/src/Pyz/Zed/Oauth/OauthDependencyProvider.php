<?php

namespace Pyz\Zed\Oauth;

use Pyz\Zed\AgentOauth\Communication\Plugin\Oauth\AgentCredentialsOauthGrantTypeConfigurationProviderPlugin;
use Pyz\Zed\AgentOauth\Communication\Plugin\Oauth\AgentOauthScopeProviderPlugin;
use Pyz\Zed\AgentOauth\Communication\Plugin\Oauth\AgentOauthUserProviderPlugin;
use Pyz\Zed\AgentOauth\Communication\Plugin\Oauth\CustomerImpersonationOauthScopeProviderPlugin;
use Pyz\Zed\AgentOauth\Communication\Plugin\Oauth\CustomerImpersonationOauthUserProviderPlugin;
use Spryker\Zed\Oauth\OauthDependencyProvider as SprykerOauthDependencyProvider;
use Spryker\Zed\OauthCustomerConnector\Communication\Plugin\Oauth\CustomerImpersonationOauthGrantTypeConfigurationProviderPlugin;

/**
 * Plugin mode (D2) on top of Spryker's OAuth modules: the Pyz user and scope
 * plugins delegate to the extension in place of Spryker's
 * OauthAgentConnector and OauthCustomerConnector user and scope plugins;
 * league/oauth2-server still issues, refreshes and revokes the tokens.
 *
 * The grants stay Spryker's classes, so these modules must stay installed:
 * spryker/oauth-agent-connector (AgentCredentialsGrantType, named by the
 * agent_credentials configuration) and spryker/oauth-customer-connector
 * (CustomerImpersonationGrantType and its configuration plugin). Keep the
 * shop's other plugins (customer and company user providers, the
 * OauthRevoke refresh-token plugins) in their places.
 */
class OauthDependencyProvider extends SprykerOauthDependencyProvider
{
    /**
     * @return array<\Spryker\Zed\OauthExtension\Dependency\Plugin\OauthUserProviderPluginInterface>
     */
    protected function getUserProviderPlugins(): array
    {
        return [
            // ... CustomerOauthUserProviderPlugin and the shop's other providers stay.
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
            // ... CustomerOauthScopeProviderPlugin and the shop's other providers stay.
            new AgentOauthScopeProviderPlugin(),
            new CustomerImpersonationOauthScopeProviderPlugin(),
        ];
    }

    /**
     * Spryker's password and refresh_token grants (the parent's), then the
     * agent and impersonation grants.
     *
     * @return array<\Spryker\Zed\OauthExtension\Dependency\Plugin\OauthGrantTypeConfigurationProviderPluginInterface>
     */
    protected function getGrantTypeConfigurationProviderPlugins(): array
    {
        return array_merge(parent::getGrantTypeConfigurationProviderPlugins(), [
            // B2B shops keep IdCompanyUser... and CompanyUserAccessToken...GrantTypeConfigurationProviderPlugin here.
            new AgentCredentialsOauthGrantTypeConfigurationProviderPlugin(),
            new CustomerImpersonationOauthGrantTypeConfigurationProviderPlugin(),
        ]);
    }
}
