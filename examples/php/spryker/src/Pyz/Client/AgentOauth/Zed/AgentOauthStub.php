<?php

namespace Pyz\Client\AgentOauth\Zed;

use Generated\Shared\Transfer\AgentOauthCustomerRecordTransfer;
use Spryker\Client\ZedRequest\ZedRequestClientInterface;

class AgentOauthStub implements AgentOauthStubInterface
{
    public function __construct(protected ZedRequestClientInterface $zedRequestClient)
    {
    }

    /**
     * @uses \Pyz\Zed\AgentOauth\Communication\Controller\GatewayController::findImpersonationCustomerAction()
     */
    public function findImpersonationCustomer(
        AgentOauthCustomerRecordTransfer $agentOauthCustomerRecordTransfer
    ): AgentOauthCustomerRecordTransfer {
        /** @var \Generated\Shared\Transfer\AgentOauthCustomerRecordTransfer $agentOauthCustomerRecordTransfer */
        $agentOauthCustomerRecordTransfer = $this->zedRequestClient->call(
            '/agent-oauth/gateway/find-impersonation-customer',
            $agentOauthCustomerRecordTransfer,
        );

        return $agentOauthCustomerRecordTransfer;
    }
}
