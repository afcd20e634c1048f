<?php

namespace Pyz\Glue\AgentOauth;

use Generated\Shared\Transfer\AgentOauthCustomerRecordTransfer;
use Generated\Shared\Transfer\CustomerQueryTransfer;
use Generated\Shared\Transfer\UserTransfer;
use Pyz\Client\AgentOauth\AgentOauthClientInterface;
use Pyz\Shared\AgentOauth\DirectoryRecords;
use Spryker\Client\Agent\AgentClientInterface;

/**
 * The engine's directories in Glue (handler mode): spy_user and spy_customer
 * through the clients, which ask Zed (D19).
 *
 * A customer is found in Zed as Spryker's impersonation grant finds one
 * (issue 13): `AgentOauthClient` asks Zed's AgentOauth gateway, which loads
 * the customer with the Customer module's transfer expanders (a B2B shop's
 * company user) and runs the shop's OauthCustomerConnector identifier
 * expanders, so the record's id_company_user and permissions are what
 * Spryker puts into `sub`. The Customer client's findCustomerByReference()
 * runs neither, and would lose a B2B customer's company.
 */
class ShopDirectory
{
    public function __construct(
        protected AgentClientInterface $agentClient,
        protected AgentOauthClientInterface $agentOauthClient,
    ) {
    }

    public function findAgent(string $username): ?array
    {
        $user = $this->agentClient->findAgentByUsername((new UserTransfer())->setUsername($username));

        return $user === null ? null : DirectoryRecords::agent($user);
    }

    public function findCustomer(string $customerReference): ?array
    {
        $record = $this->agentOauthClient->findImpersonationCustomer(
            (new AgentOauthCustomerRecordTransfer())->setCustomerReference($customerReference),
        )->getRecord();

        return $record === null ? null : json_decode($record, true, 512, JSON_THROW_ON_ERROR);
    }

    /**
     * The search only lists customers (reference, e-mail, names): no company
     * is needed, and the engine finds the impersonated customer again with
     * findCustomer().
     */
    public function searchCustomers(string $query, int $offset, int $limit): array
    {
        return DirectoryRecords::page($this->agentClient->findCustomersByQuery(
            (new CustomerQueryTransfer())->setQuery($query)->setOffset($offset)->setLimit($limit),
        ));
    }
}
