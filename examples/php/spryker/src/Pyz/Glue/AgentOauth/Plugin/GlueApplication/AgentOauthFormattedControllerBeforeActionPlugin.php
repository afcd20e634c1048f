<?php

namespace Pyz\Glue\AgentOauth\Plugin\GlueApplication;

use Generated\Shared\Transfer\RestErrorMessageTransfer;
use Spryker\Glue\GlueApplication\Rest\RequestConstantsInterface;
use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\FormattedControllerBeforeActionPluginInterface;
use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\TerminationAwareBeforeActionPluginInterface;
use Spryker\Glue\Kernel\AbstractPlugin;
use Symfony\Component\HttpFoundation\Request;

/**
 * Wraps a terminating formatted-controller before-action plugin, AuthRestApi's
 * FormattedControllerBeforeActionValidateAccessTokenPlugin in the demo shops,
 * and leaves the engine's resources out of it.
 *
 * Glue runs those plugins before every FormattedAbstractController, and the
 * engine's controllers are such controllers. Spryker's check would answer a
 * token it refuses with a plain-text 401 before the engine could answer with
 * its JSON:API code (001, 4102, ...). The engine checks these tokens itself,
 * and Spryker's own refresh tokens still pass Spryker's usual checks, as its
 * controller runs through Glue's ControllerFilter.
 *
 * @method \Pyz\Glue\AgentOauth\AgentOauthConfig getConfig()
 */
class AgentOauthFormattedControllerBeforeActionPlugin extends AbstractPlugin implements FormattedControllerBeforeActionPluginInterface, TerminationAwareBeforeActionPluginInterface
{
    public function __construct(protected FormattedControllerBeforeActionPluginInterface $formattedControllerBeforeActionPlugin)
    {
    }

    /**
     * {@inheritDoc}
     * - Returns null for the engine's resource types, else what the wrapped plugin returns.
     *
     * @api
     */
    public function beforeAction(Request $request): ?RestErrorMessageTransfer
    {
        $resourceType = $request->attributes->get(RequestConstantsInterface::ATTRIBUTE_TYPE);
        if (in_array($resourceType, $this->getConfig()->getEngineResourceTypes(), true)) {
            return null;
        }

        return $this->formattedControllerBeforeActionPlugin->beforeAction($request);
    }
}
