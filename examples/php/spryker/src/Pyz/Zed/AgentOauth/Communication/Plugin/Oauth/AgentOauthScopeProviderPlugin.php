<?php

namespace Pyz\Zed\AgentOauth\Communication\Plugin\Oauth;

use Generated\Shared\Transfer\OauthScopeRequestTransfer;
use Generated\Shared\Transfer\OauthScopeTransfer;
use Spryker\Zed\Kernel\Communication\AbstractPlugin;
use Spryker\Zed\OauthExtension\Dependency\Plugin\OauthScopeProviderPluginInterface;

/**
 * The agent scope for the agent_credentials grant.
 *
 * @method \Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory getFactory()
 */
class AgentOauthScopeProviderPlugin extends AbstractPlugin implements OauthScopeProviderPluginInterface
{
    public function accept(OauthScopeRequestTransfer $oauthScopeRequestTransfer): bool
    {
        return $this->getFactory()->createAgentOauthScopeProvider()->accept($oauthScopeRequestTransfer->toArray());
    }

    /**
     * @return list<\Generated\Shared\Transfer\OauthScopeTransfer>
     */
    public function getScopes(OauthScopeRequestTransfer $oauthScopeRequestTransfer): array
    {
        $scopes = $this->getFactory()->createAgentOauthScopeProvider()->getScopes($oauthScopeRequestTransfer->toArray());

        return array_map(static fn (array $scope) => (new OauthScopeTransfer())->fromArray($scope, true), $scopes);
    }
}
