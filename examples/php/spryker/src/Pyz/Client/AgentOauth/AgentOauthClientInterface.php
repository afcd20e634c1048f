<?php

namespace Pyz\Client\AgentOauth;

use Generated\Shared\Transfer\AgentOauthCustomerRecordTransfer;

interface AgentOauthClientInterface
{
    /**
     * Specification:
     * - Makes a Zed request to find the customer of `customerReference` as
     *   Spryker's customer impersonation grant finds one: with the Customer
     *   module's transfer expanders (a B2B shop's company user), then the
     *   shop's OauthCustomerConnector identifier expanders.
     * - Returns a transfer whose `record` is the JSON of the engine's customer
     *   record (D19, `Pyz\Shared\AgentOauth\DirectoryRecords::customer()`), so
     *   its `id_company_user` and `permissions` are what Spryker puts into `sub`.
     * - `record` is null when there is no such customer.
     *
     * @api
     */
    public function findImpersonationCustomer(
        AgentOauthCustomerRecordTransfer $agentOauthCustomerRecordTransfer
    ): AgentOauthCustomerRecordTransfer;
}
