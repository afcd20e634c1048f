<?php

namespace Pyz\Zed\AgentOauth\Communication\Plugin\Oauth;

use Generated\Shared\Transfer\OauthScopeRequestTransfer;
use Generated\Shared\Transfer\OauthScopeTransfer;
use Spryker\Zed\Kernel\Communication\AbstractPlugin;
use Spryker\Zed\OauthExtension\Dependency\Plugin\OauthScopeProviderPluginInterface;

/**
 * The customer_impersonation and customer scopes.
 *
 * @method \Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory getFactory()
 */
class CustomerImpersonationOauthScopeProviderPlugin extends AbstractPlugin implements OauthScopeProviderPluginInterface
{
    public function accept(OauthScopeRequestTransfer $oauthScopeRequestTransfer): bool
    {
        return $this->getFactory()->createCustomerImpersonationOauthScopeProvider()->accept($oauthScopeRequestTransfer->toArray());
    }

    /**
     * @return list<\Generated\Shared\Transfer\OauthScopeTransfer>
     */
    public function getScopes(OauthScopeRequestTransfer $oauthScopeRequestTransfer): array
    {
        $scopes = $this->getFactory()->createCustomerImpersonationOauthScopeProvider()->getScopes($oauthScopeRequestTransfer->toArray());

        return array_map(static fn (array $scope) => (new OauthScopeTransfer())->fromArray($scope, true), $scopes);
    }
}
