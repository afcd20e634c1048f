<?php

namespace Pyz\Glue\AgentOauth;

use Spryker\Glue\GlueApplication\Plugin\EventDispatcher\GlueRestControllerListenerEventDispatcherPlugin;
use Spryker\Glue\Kernel\AbstractBundleDependencyProvider;
use Spryker\Glue\Kernel\Container;

class AgentOauthDependencyProvider extends AbstractBundleDependencyProvider
{
    public const CLIENT_AGENT = 'CLIENT_AGENT';

    /** Pyz\Client\AgentOauth: customers as Spryker's impersonation grant finds them, from Zed. */
    public const CLIENT_AGENT_OAUTH = 'CLIENT_AGENT_OAUTH';

    /** Runs Spryker's own refresh-tokens controller through Glue's ControllerFilter. */
    public const PLUGIN_GLUE_REST_CONTROLLER_LISTENER = 'PLUGIN_GLUE_REST_CONTROLLER_LISTENER';

    public function provideDependencies(Container $container): Container
    {
        $container = parent::provideDependencies($container);
        // Closures: resolved when first fetched, i.e. when the engine is built.
        $container->set(static::CLIENT_AGENT, function (Container $container) {
            return $container->getLocator()->agent()->client();
        });
        $container->set(static::CLIENT_AGENT_OAUTH, function (Container $container) {
            return $container->getLocator()->agentOauth()->client();
        });
        $container->set(static::PLUGIN_GLUE_REST_CONTROLLER_LISTENER, function () {
            return new GlueRestControllerListenerEventDispatcherPlugin();
        });

        return $container;
    }
}
