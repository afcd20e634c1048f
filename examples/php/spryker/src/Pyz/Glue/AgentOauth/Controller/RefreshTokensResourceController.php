<?php

namespace Pyz\Glue\AgentOauth\Controller;

use Spryker\Glue\Kernel\Controller\FormattedAbstractController;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;

/**
 * `/refresh-tokens` in place of AuthRestApi's controller: the engine's
 * tokens (`ao1_`) to the engine, Spryker's tokens to Spryker's own
 * RefreshTokensResourceController, answered exactly as before (D6).
 *
 * @method \Pyz\Glue\AgentOauth\AgentOauthFactory getFactory()
 */
class RefreshTokensResourceController extends FormattedAbstractController
{
    public function postAction(Request $httpRequest): Response
    {
        return $this->getFactory()->createRefreshTokensRouter()->post($httpRequest);
    }

    public function getAction(Request $httpRequest): Response
    {
        return $this->getFactory()->createRefreshTokensRouter()->get($httpRequest);
    }

    public function deleteAction(Request $httpRequest): Response
    {
        return $this->getFactory()->createRefreshTokensRouter()->delete($httpRequest);
    }
}
