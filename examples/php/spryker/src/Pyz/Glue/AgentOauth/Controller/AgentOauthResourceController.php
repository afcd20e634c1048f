<?php

namespace Pyz\Glue\AgentOauth\Controller;

use Spryker\Glue\Kernel\Controller\FormattedAbstractController;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;

/**
 * The engine's resources: agent-access-tokens, agent-customer-impersonation-access-tokens,
 * agent-customer-search, customer-impersonation-consents and
 * customer-impersonation-sessions. A FormattedAbstractController gets the raw
 * Symfony request and Glue sends its Symfony response as it is, so the
 * engine's JSON:API answers (statuses, codes, headers, key orders) reach the
 * client byte for byte, as Spryker's own /token resource does.
 *
 * @method \Pyz\Glue\AgentOauth\AgentOauthFactory getFactory()
 */
class AgentOauthResourceController extends FormattedAbstractController
{
    public function postAction(Request $httpRequest): Response
    {
        return $this->getFactory()->createEngineRequestForwarder()->forward($httpRequest);
    }

    public function getAction(Request $httpRequest): Response
    {
        return $this->getFactory()->createEngineRequestForwarder()->forward($httpRequest);
    }
}
