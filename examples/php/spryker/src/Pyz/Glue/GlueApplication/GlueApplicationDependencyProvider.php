<?php

namespace Pyz\Glue\GlueApplication;

use Pyz\Glue\AgentOauth\Plugin\GlueApplication\AgentAccessTokensResourceRoutePlugin;
use Pyz\Glue\AgentOauth\Plugin\GlueApplication\AgentCustomerImpersonationAccessTokensResourceRoutePlugin;
use Pyz\Glue\AgentOauth\Plugin\GlueApplication\AgentCustomerSearchResourceRoutePlugin;
use Pyz\Glue\AgentOauth\Plugin\GlueApplication\AgentOauthFormattedControllerBeforeActionPlugin;
use Pyz\Glue\AgentOauth\Plugin\GlueApplication\CustomerImpersonationConsentsResourceRoutePlugin;
use Pyz\Glue\AgentOauth\Plugin\GlueApplication\CustomerImpersonationSessionsResourceRoutePlugin;
use Pyz\Glue\AgentOauth\Plugin\GlueApplication\RefreshTokensResourceRoutePlugin;
use Spryker\Glue\AuthRestApi\Plugin\GlueApplication\FormattedControllerBeforeActionValidateAccessTokenPlugin;
use Spryker\Glue\CartsRestApi\Plugin\ResourceRoute\CartsResourceRoutePlugin;
use Spryker\Glue\GlueApplication\GlueApplicationDependencyProvider as SprykerGlueApplicationDependencyProvider;

/**
 * Handler mode (D1) in the shop's src/Pyz/Glue/GlueApplication/GlueApplicationDependencyProvider.php.
 * Only the lines handler mode changes are shown: keep every other plugin of
 * the shop's lists as it is (carts stands for them here).
 *
 * The `use` lines of AuthRestApi's RefreshTokensResourceRoutePlugin and of
 * AgentAuthRestApi's AgentAccessTokensResourceRoutePlugin,
 * AgentCustomerImpersonationAccessTokensResourceRoutePlugin and
 * AgentCustomerSearchResourceRoutePlugin go: the Pyz plugins of the same
 * names take their places (Glue finds no plugin for a resource type that two
 * plugins claim).
 */
class GlueApplicationDependencyProvider extends SprykerGlueApplicationDependencyProvider
{
    /**
     * @return array<\Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRoutePluginInterface>
     */
    protected function getResourceRoutePlugins(): array
    {
        return [
            // ... the shop's resources, unchanged:
            new CartsResourceRoutePlugin(),
            // Handler mode: the engine's resources, built only when one of them is asked for.
            new RefreshTokensResourceRoutePlugin(),
            new AgentAccessTokensResourceRoutePlugin(),
            new AgentCustomerImpersonationAccessTokensResourceRoutePlugin(),
            new AgentCustomerSearchResourceRoutePlugin(),
            new CustomerImpersonationConsentsResourceRoutePlugin(),
            new CustomerImpersonationSessionsResourceRoutePlugin(),
        ];
    }

    /**
     * @return array<\Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\FormattedControllerBeforeActionPluginInterface>
     */
    protected function getFormattedControllerBeforeActionTerminatePlugins(): array
    {
        return [
            // Spryker's access-token check everywhere but on the engine's resources.
            new AgentOauthFormattedControllerBeforeActionPlugin(new FormattedControllerBeforeActionValidateAccessTokenPlugin()),
        ];
    }
}
