<?php

namespace Pyz\Zed\AgentOauth\Communication\Controller;

use Generated\Shared\Transfer\AgentOauthCustomerRecordTransfer;
use Spryker\Zed\Kernel\Communication\Controller\AbstractGatewayController;

/**
 * Zed's answers to Pyz\Client\AgentOauth (handler mode, issue 13).
 *
 * @method \Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory getFactory()
 */
class GatewayController extends AbstractGatewayController
{
    /**
     * The customer of `customerReference` as the engine's record (D19), found
     * by the same ShopDirectory as Zed's own engine uses: loaded with the
     * Customer module's transfer expanders, then the shop's
     * OauthCustomerConnector identifier expanders, as Spryker's impersonation
     * grant does, so Glue's tokens carry the `sub` Spryker's would. `record`
     * is its JSON; none when there is no such customer.
     */
    public function findImpersonationCustomerAction(
        AgentOauthCustomerRecordTransfer $agentOauthCustomerRecordTransfer
    ): AgentOauthCustomerRecordTransfer {
        $customerReference = (string) $agentOauthCustomerRecordTransfer->getCustomerReference();
        $record = $this->getFactory()->createShopDirectory()->findCustomer($customerReference);

        return (new AgentOauthCustomerRecordTransfer())
            ->setCustomerReference($customerReference)
            ->setRecord($record === null ? null : json_encode($record, JSON_THROW_ON_ERROR));
    }
}
