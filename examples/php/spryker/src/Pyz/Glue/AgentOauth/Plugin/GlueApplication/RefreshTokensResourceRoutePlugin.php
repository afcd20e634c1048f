<?php

namespace Pyz\Glue\AgentOauth\Plugin\GlueApplication;

use Generated\Shared\Transfer\RestRefreshTokensAttributesTransfer;
use Pyz\Glue\AgentOauth\AgentOauthConfig;
use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRouteCollectionInterface;
use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRoutePluginInterface;
use Spryker\Glue\Kernel\AbstractPlugin;

/**
 * `/refresh-tokens` in place of AuthRestApi's plugin of the same name (two
 * plugins for one resource type and Glue finds none). The engine's tokens
 * (`ao1_`) go to the engine, Spryker's to Spryker's own controller (D6).
 */
class RefreshTokensResourceRoutePlugin extends AbstractPlugin implements ResourceRoutePluginInterface
{
    /**
     * {@inheritDoc}
     * - AuthRestApi's route configuration as it is, so that Spryker's own
     *   controller sees the same request attributes as before.
     *
     * @api
     */
    public function configure(ResourceRouteCollectionInterface $resourceRouteCollection): ResourceRouteCollectionInterface
    {
        $resourceRouteCollection->addPost('post', false);
        $resourceRouteCollection->addGet('get', false);
        $resourceRouteCollection->addDelete('delete', true);

        return $resourceRouteCollection;
    }

    /**
     * @api
     */
    public function getResourceType(): string
    {
        return AgentOauthConfig::RESOURCE_REFRESH_TOKENS;
    }

    /**
     * @api
     */
    public function getController(): string
    {
        return 'refresh-tokens-resource';
    }

    /**
     * {@inheritDoc}
     * - AuthRestApi's: Spryker's controller gets it filled for Spryker's tokens.
     *
     * @api
     */
    public function getResourceAttributesClassName(): string
    {
        return RestRefreshTokensAttributesTransfer::class;
    }
}
