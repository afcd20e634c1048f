<?php

namespace Pyz\Zed\AgentOauth\Business;

use Generated\Shared\Transfer\CustomerQueryTransfer;
use Pyz\Shared\AgentOauth\DirectoryRecords;
use Spryker\Zed\Agent\Business\AgentFacadeInterface;
use Spryker\Zed\Customer\Business\CustomerFacadeInterface;

/**
 * The engine's directories in Zed: spy_user through the Agent facade,
 * spy_customer through the Customer facade (D19). Exceptions the facades
 * throw reach the caller as AgentOauth\DirectoryException, never as a failed login.
 */
class ShopDirectory
{
    public function __construct(
        protected AgentFacadeInterface $agentFacade,
        protected CustomerFacadeInterface $customerFacade,
    ) {
    }

    public function findAgent(string $username): ?array
    {
        $response = $this->agentFacade->findAgentByUsername($username);

        return $response->getIsAgentFound() ? DirectoryRecords::agent($response->getAgent()) : null;
    }

    public function findCustomer(string $customerReference): ?array
    {
        $response = $this->customerFacade->findCustomerByReference($customerReference);

        return $response->getIsSuccess() ? DirectoryRecords::customer($response->getCustomerTransfer()) : null;
    }

    public function searchCustomers(string $query, int $offset, int $limit): array
    {
        return DirectoryRecords::page($this->agentFacade->findCustomersByQuery(
            (new CustomerQueryTransfer())->setQuery($query)->setOffset($offset)->setLimit($limit),
        ));
    }
}
