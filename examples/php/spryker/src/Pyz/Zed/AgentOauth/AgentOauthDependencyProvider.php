<?php

namespace Pyz\Zed\AgentOauth;

use Spryker\Zed\Kernel\AbstractBundleDependencyProvider;
use Spryker\Zed\Kernel\Container;

class AgentOauthDependencyProvider extends AbstractBundleDependencyProvider
{
    public const FACADE_AGENT = 'FACADE_AGENT';
    public const FACADE_CUSTOMER = 'FACADE_CUSTOMER';

    public function provideCommunicationLayerDependencies(Container $container): Container
    {
        $container->set(static::FACADE_AGENT, static fn (Container $container) => $container->getLocator()->agent()->facade());
        $container->set(static::FACADE_CUSTOMER, static fn (Container $container) => $container->getLocator()->customer()->facade());

        return $container;
    }
}
