<?php

namespace Pyz\Client\AgentOauth;

use Generated\Shared\Transfer\AgentOauthCustomerRecordTransfer;
use Spryker\Client\Kernel\AbstractClient;

/**
 * @method \Pyz\Client\AgentOauth\AgentOauthFactory getFactory()
 */
class AgentOauthClient extends AbstractClient implements AgentOauthClientInterface
{
    /**
     * {@inheritDoc}
     *
     * @api
     */
    public function findImpersonationCustomer(
        AgentOauthCustomerRecordTransfer $agentOauthCustomerRecordTransfer
    ): AgentOauthCustomerRecordTransfer {
        return $this->getFactory()
            ->createZedStub()
            ->findImpersonationCustomer($agentOauthCustomerRecordTransfer);
    }
}
