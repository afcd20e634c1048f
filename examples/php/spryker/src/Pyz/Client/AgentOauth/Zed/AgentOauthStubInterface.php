<?php

namespace Pyz\Client\AgentOauth\Zed;

use Generated\Shared\Transfer\AgentOauthCustomerRecordTransfer;

interface AgentOauthStubInterface
{
    public function findImpersonationCustomer(
        AgentOauthCustomerRecordTransfer $agentOauthCustomerRecordTransfer
    ): AgentOauthCustomerRecordTransfer;
}
