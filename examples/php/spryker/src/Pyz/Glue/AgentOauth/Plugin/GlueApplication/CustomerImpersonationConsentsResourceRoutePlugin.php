<?php

namespace Pyz\Glue\AgentOauth\Plugin\GlueApplication;

use Generated\Shared\Transfer\RestCustomerImpersonationConsentsAttributesTransfer;
use Pyz\Glue\AgentOauth\AgentOauthConfig;
use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRouteCollectionInterface;
use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRoutePluginInterface;
use Spryker\Glue\Kernel\AbstractPlugin;

/**
 * `POST /customer-impersonation-consents` (a customer's consent code for an
 * agent, with the customer's own token) to the engine.
 */
class CustomerImpersonationConsentsResourceRoutePlugin extends AbstractPlugin implements ResourceRoutePluginInterface
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
        $resourceRouteCollection->addPost('post', false);

        return $resourceRouteCollection;
    }

    /**
     * @api
     */
    public function getResourceType(): string
    {
        return AgentOauthConfig::RESOURCE_CUSTOMER_IMPERSONATION_CONSENTS;
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
        return RestCustomerImpersonationConsentsAttributesTransfer::class;
    }
}
