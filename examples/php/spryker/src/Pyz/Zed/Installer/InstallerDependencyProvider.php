<?php

namespace Pyz\Zed\Installer;

use Pyz\Zed\AgentOauth\Communication\Plugin\Installer\AgentOauthScopeInstallerPlugin;
use Spryker\Zed\Installer\InstallerDependencyProvider as SprykerInstallerDependencyProvider;

class InstallerDependencyProvider extends SprykerInstallerDependencyProvider
{
    /**
     * @return array<\Spryker\Zed\InstallerExtension\Dependency\Plugin\InstallerPluginInterface>
     */
    public function getInstallerPlugins(): array
    {
        return [
            new AgentOauthScopeInstallerPlugin(),
        ];
    }
}
