<?php

namespace Pyz\Zed\AgentOauth\Communication\Plugin\Installer;

use Spryker\Zed\InstallerExtension\Dependency\Plugin\InstallerPluginInterface;
use Spryker\Zed\Kernel\Communication\AbstractPlugin;

/**
 * Installs the agent, customer and customer_impersonation scopes in the
 * engine's database at `console setup:init-db` (idempotent). Spryker's own
 * scope installers stay beside it: they write spy_oauth_scope, where
 * league's refresh grant looks for the scopes of the tokens it refreshes.
 *
 * @method \Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory getFactory()
 */
class AgentOauthEngineScopeInstallerPlugin extends AbstractPlugin implements InstallerPluginInterface
{
    public function install(): void
    {
        $this->getFactory()->createAgentOauthScopeInstaller()->install();
    }
}
