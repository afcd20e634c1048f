<?php

namespace Pyz\Glue\AgentOauth\Plugin\GlueApplication;

use Generated\Shared\Transfer\RestAgentCustomerSearchCustomersAttributesTransfer;
use Pyz\Glue\AgentOauth\AgentOauthConfig;
use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRouteCollectionInterface;
use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRoutePluginInterface;
use Spryker\Glue\Kernel\AbstractPlugin;

/**
 * `GET /agent-customer-search` to the engine, in place of AgentAuthRestApi's
 * plugin of the same name.
 */
class AgentCustomerSearchResourceRoutePlugin extends AbstractPlugin implements ResourceRoutePluginInterface
{
    /**
     * {@inheritDoc}
     * - Not protected for Glue: the engine checks the caller's token itself
     *   and answers with its own codes.
     *
     * @api
     */
    public function configure(ResourceRouteCollectionInterface $resourceRouteCollection): ResourceRouteCollectionInterface
    {
        $resourceRouteCollection->addGet('get', false);

        return $resourceRouteCollection;
    }

    /**
     * @api
     */
    public function getResourceType(): string
    {
        return AgentOauthConfig::RESOURCE_AGENT_CUSTOMER_SEARCH;
    }

    /**
     * @api
     */
    public function getController(): string
    {
        return 'agent-oauth-resource';
    }

    /**
     * {@inheritDoc}
     * - Glue does not fill it for a FormattedAbstractController: the engine reads the body.
     *
     * @api
     */
    public function getResourceAttributesClassName(): string
    {
        return RestAgentCustomerSearchCustomersAttributesTransfer::class;
    }
}
