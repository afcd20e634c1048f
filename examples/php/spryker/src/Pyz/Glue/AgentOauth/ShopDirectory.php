<?php

namespace Pyz\Glue\AgentOauth;

use Generated\Shared\Transfer\CustomerQueryTransfer;
use Generated\Shared\Transfer\CustomerTransfer;
use Generated\Shared\Transfer\UserTransfer;
use Pyz\Shared\AgentOauth\DirectoryRecords;
use Spryker\Client\Agent\AgentClientInterface;
use Spryker\Client\Customer\CustomerClientInterface;

/**
 * The engine's directories in Glue (handler mode): spy_user and spy_customer
 * through the clients, which ask Zed (D19).
 */
class ShopDirectory
{
    public function __construct(
        protected AgentClientInterface $agentClient,
        protected CustomerClientInterface $customerClient,
    ) {
    }

    public function findAgent(string $username): ?array
    {
        $user = $this->agentClient->findAgentByUsername((new UserTransfer())->setUsername($username));

        return $user === null ? null : DirectoryRecords::agent($user);
    }

    public function findCustomer(string $customerReference): ?array
    {
        $response = $this->customerClient->findCustomerByReference(
            (new CustomerTransfer())->setCustomerReference($customerReference),
        );

        return $response->getIsSuccess() ? DirectoryRecords::customer($response->getCustomerTransfer()) : null;
    }

    public function searchCustomers(string $query, int $offset, int $limit): array
    {
        return DirectoryRecords::page($this->agentClient->findCustomersByQuery(
            (new CustomerQueryTransfer())->setQuery($query)->setOffset($offset)->setLimit($limit),
        ));
    }
}
