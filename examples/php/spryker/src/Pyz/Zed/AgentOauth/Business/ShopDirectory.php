<?php

namespace Pyz\Zed\AgentOauth\Business;

use Generated\Shared\Transfer\CustomerCriteriaTransfer;
use Generated\Shared\Transfer\CustomerIdentifierTransfer;
use Generated\Shared\Transfer\CustomerQueryTransfer;
use Generated\Shared\Transfer\CustomerTransfer;
use Pyz\Shared\AgentOauth\DirectoryRecords;
use Spryker\Zed\Agent\Business\AgentFacadeInterface;
use Spryker\Zed\Customer\Business\CustomerFacadeInterface;

/**
 * The engine's directories in Zed: spy_user through the Agent facade,
 * spy_customer through the Customer facade (D19). Exceptions the facades
 * throw reach the caller as AgentOauth\DirectoryException, never as a failed login.
 *
 * A customer is found as Spryker's CustomerImpersonationOauthUserProviderPlugin
 * finds one (OauthCustomerConnector's CustomerProvider): by reference with the
 * Customer module's transfer expanders (a B2B shop's company user), then the
 * shop's OauthCustomerConnector identifier expanders, so the record's
 * id_company_user and permissions are what Spryker puts into `sub`.
 */
class ShopDirectory
{
    /**
     * @param array<\Spryker\Zed\OauthCustomerConnectorExtension\Dependency\Plugin\OauthCustomerIdentifierExpanderPluginInterface> $oauthCustomerIdentifierExpanderPlugins
     *        the shop's OauthCustomerConnectorDependencyProvider::getOauthCustomerIdentifierExpanderPlugins()
     */
    public function __construct(
        protected AgentFacadeInterface $agentFacade,
        protected CustomerFacadeInterface $customerFacade,
        protected array $oauthCustomerIdentifierExpanderPlugins,
    ) {
    }

    public function findAgent(string $username): ?array
    {
        $response = $this->agentFacade->findAgentByUsername($username);

        return $response->getIsAgentFound() ? DirectoryRecords::agent($response->getAgent()) : null;
    }

    public function findCustomer(string $customerReference): ?array
    {
        $response = $this->customerFacade->getCustomerByCriteria(
            (new CustomerCriteriaTransfer())->setCustomerReference($customerReference)->setWithExpanders(true),
        );
        if (!$response->getIsSuccess()) {
            return null;
        }
        $customer = $response->getCustomerTransfer();

        return DirectoryRecords::customer($customer, $this->expandCustomerIdentifier($customer));
    }

    /**
     * Spryker's CustomerProvider::executeOauthCustomerIdentifierExpanderPlugins():
     * reference and id, then each expander in the shop's order. Side effects
     * are theirs too: StoredPermissionOauthCustomerIdentifierExpanderPlugin
     * stores the company user's permissions for Glue.
     */
    protected function expandCustomerIdentifier(CustomerTransfer $customer): CustomerIdentifierTransfer
    {
        $identifier = (new CustomerIdentifierTransfer())
            ->setCustomerReference($customer->getCustomerReference())
            ->setIdCustomer($customer->getIdCustomer());
        foreach ($this->oauthCustomerIdentifierExpanderPlugins as $plugin) {
            $identifier = $plugin->expandCustomerIdentifier($identifier, $customer);
        }

        return $identifier;
    }

    /**
     * The search only lists customers (reference, e-mail, names): no
     * expanders run, and the engine finds the impersonated customer again
     * with findCustomer().
     */
    public function searchCustomers(string $query, int $offset, int $limit): array
    {
        return DirectoryRecords::page($this->agentFacade->findCustomersByQuery(
            (new CustomerQueryTransfer())->setQuery($query)->setOffset($offset)->setLimit($limit),
        ));
    }
}
