<?php

namespace Pyz\Zed\AgentOauth\Communication\Plugin\Oauth;

use Generated\Shared\Transfer\OauthUserTransfer;
use Spryker\Zed\Kernel\Communication\AbstractPlugin;
use Spryker\Zed\OauthExtension\Dependency\Plugin\OauthUserProviderPluginInterface;

/**
 * The customer of the customer_impersonation grant: active customers only.
 * The user identifier (league's `sub`) is Spryker's: the shop directory runs
 * the shop's OauthCustomerConnector identifier expanders, so a B2B customer
 * keeps id_company_user (and permissions where an expander puts them there).
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
