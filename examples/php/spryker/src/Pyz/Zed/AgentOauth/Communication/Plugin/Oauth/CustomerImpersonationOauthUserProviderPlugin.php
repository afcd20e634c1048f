<?php

namespace Pyz\Zed\AgentOauth\Communication\Plugin\Oauth;

use Generated\Shared\Transfer\OauthUserTransfer;
use Spryker\Zed\Kernel\Communication\AbstractPlugin;
use Spryker\Zed\OauthExtension\Dependency\Plugin\OauthUserProviderPluginInterface;

/**
 * The customer of the customer_impersonation grant: active customers only.
 *
 * @method \Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory getFactory()
 */
class CustomerImpersonationOauthUserProviderPlugin extends AbstractPlugin implements OauthUserProviderPluginInterface
{
    public function accept(OauthUserTransfer $oauthUserTransfer): bool
    {
        return $this->getFactory()->createCustomerImpersonationOauthUserProvider()->accept($oauthUserTransfer->toArray());
    }

    public function getUser(OauthUserTransfer $oauthUserTransfer): OauthUserTransfer
    {
        $user = $this->getFactory()->createCustomerImpersonationOauthUserProvider()->getUser($oauthUserTransfer->toArray());

        return $oauthUserTransfer->fromArray($user, true);
    }
}
