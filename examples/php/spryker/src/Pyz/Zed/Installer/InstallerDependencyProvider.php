<?php

namespace Pyz\Zed\Installer;

use Pyz\Zed\AgentOauth\Communication\Plugin\Installer\AgentOauthEngineScopeInstallerPlugin;
use Spryker\Zed\Installer\InstallerDependencyProvider as SprykerInstallerDependencyProvider;
use Spryker\Zed\Oauth\Communication\Plugin\Installer\OauthClientInstallerPlugin;
use Spryker\Zed\OauthAgentConnector\Communication\Plugin\Installer\AgentOauthScopeInstallerPlugin;
use Spryker\Zed\OauthCustomerConnector\Communication\Plugin\Installer\OauthCustomerScopeInstallerPlugin;

/**
 * `console setup:init-db`: Spryker's OAuth installers stay, because league
 * still issues and refreshes tokens in plugin mode (D2) and its refresh grant
 * validates every scope of the refreshed token against spy_oauth_scope; the
 * engine's installer adds the same scopes to the engine's store.
 */
class InstallerDependencyProvider extends SprykerInstallerDependencyProvider
{
    /**
     * @return array<\Spryker\Zed\Installer\Dependency\Plugin\InstallerPluginInterface|\Spryker\Zed\InstallerExtension\Dependency\Plugin\InstallerPluginInterface>
     */
    public function getInstallerPlugins(): array
    {
        return [
            // ... the shop's other installer plugins stay in their places.
            new OauthClientInstallerPlugin(), // spryker/oauth: spy_oauth_client (frontend)
            new OauthCustomerScopeInstallerPlugin(), // spryker/oauth-customer-connector: customer, customer_impersonation
            // B2B shops keep new OauthCompanyUserInstallerPlugin() (spryker/oauth-company-user) here.
            new AgentOauthScopeInstallerPlugin(), // spryker/oauth-agent-connector: agent
            new AgentOauthEngineScopeInstallerPlugin(), // the engine: agent, customer, customer_impersonation
        ];
    }
}
