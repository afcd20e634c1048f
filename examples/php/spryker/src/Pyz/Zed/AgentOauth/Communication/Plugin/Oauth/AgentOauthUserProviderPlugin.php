<?php

namespace Pyz\Zed\AgentOauth\Communication\Plugin\Oauth;

use Generated\Shared\Transfer\OauthUserTransfer;
use Spryker\Zed\Kernel\Communication\AbstractPlugin;
use Spryker\Zed\OauthExtension\Dependency\Plugin\OauthUserProviderPluginInterface;

/**
 * Authenticates an agent with the engine's rules (argon2id or the imported
 * bcrypt hash, active agents only); league issues the token (plugin mode, D2).
 *
 * @method \Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory getFactory()
 */
class AgentOauthUserProviderPlugin extends AbstractPlugin implements OauthUserProviderPluginInterface
{
    public function accept(OauthUserTransfer $oauthUserTransfer): bool
    {
        return $this->getFactory()->createAgentOauthUserProvider()->accept($oauthUserTransfer->toArray());
    }

    public function getUser(OauthUserTransfer $oauthUserTransfer): OauthUserTransfer
    {
        $user = $this->getFactory()->createAgentOauthUserProvider()->getUser($oauthUserTransfer->toArray());

        return $oauthUserTransfer->fromArray($user, true);
    }
}
