<?php

namespace Pyz\Glue\AgentOauth;

use AgentOauth\Engine;
use Pyz\Client\AgentOauth\AgentOauthClientInterface;
use Pyz\Glue\AgentOauth\Processor\Engine\EngineRequestForwarder;
use Pyz\Glue\AgentOauth\Processor\Engine\EngineRequestForwarderInterface;
use Pyz\Glue\AgentOauth\Processor\RefreshTokens\RefreshTokensRouter;
use Pyz\Glue\AgentOauth\Processor\RefreshTokens\RefreshTokensRouterInterface;
use Spryker\Client\Agent\AgentClientInterface;
use Spryker\Glue\AuthRestApi\Controller\RefreshTokensResourceController as SprykerRefreshTokensResourceController;
use Spryker\Glue\GlueApplication\Plugin\EventDispatcher\GlueRestControllerListenerEventDispatcherPlugin;
use Spryker\Glue\Kernel\AbstractFactory;

/**
 * @method \Pyz\Glue\AgentOauth\AgentOauthConfig getConfig()
 */
class AgentOauthFactory extends AbstractFactory
{
    protected ?Engine $engine = null;

    /**
     * Nothing is built here: the engine is built by the forwarder's first
     * request, so a request that never reaches the engine never builds it.
     */
    public function createEngineRequestForwarder(): EngineRequestForwarderInterface
    {
        return new EngineRequestForwarder(fn (): Engine => $this->getEngine());
    }

    public function createRefreshTokensRouter(): RefreshTokensRouterInterface
    {
        return new RefreshTokensRouter(
            $this->createEngineRequestForwarder(),
            $this->getGlueRestControllerListenerPlugin(),
            $this->createSprykerRefreshTokensResourceController(),
            $this->getConfig(),
        );
    }

    /**
     * The worker's shared engine (D20) with the shop's spy_user and
     * spy_customer as directories (D19), built on first use. Throws what
     * building it throws: a bad configuration, an unreachable database.
     */
    public function getEngine(): Engine
    {
        if ($this->engine === null) {
            $engine = Engine::shared($this->getConfig()->getEngineConfiguration());
            $directory = $this->createShopDirectory();
            $engine->setAgentDirectory([$directory, 'findAgent']);
            $engine->setCustomerDirectory([$directory, 'findCustomer'], [$directory, 'searchCustomers']);
            $this->engine = $engine;
        }

        return $this->engine;
    }

    public function createShopDirectory(): ShopDirectory
    {
        return new ShopDirectory($this->getAgentClient(), $this->getAgentOauthClient());
    }

    /**
     * Spryker's own controller for the refresh tokens it issued.
     */
    public function createSprykerRefreshTokensResourceController(): SprykerRefreshTokensResourceController
    {
        $controller = new SprykerRefreshTokensResourceController();
        $controller->initialize();

        return $controller;
    }

    public function getGlueRestControllerListenerPlugin(): GlueRestControllerListenerEventDispatcherPlugin
    {
        return $this->getProvidedDependency(AgentOauthDependencyProvider::PLUGIN_GLUE_REST_CONTROLLER_LISTENER);
    }

    public function getAgentClient(): AgentClientInterface
    {
        return $this->getProvidedDependency(AgentOauthDependencyProvider::CLIENT_AGENT);
    }

    public function getAgentOauthClient(): AgentOauthClientInterface
    {
        return $this->getProvidedDependency(AgentOauthDependencyProvider::CLIENT_AGENT_OAUTH);
    }
}
