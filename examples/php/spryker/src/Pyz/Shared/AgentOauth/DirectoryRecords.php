<?php

namespace Pyz\Shared\AgentOauth;

use Generated\Shared\Transfer\CustomerAutocompleteResponseTransfer;
use Generated\Shared\Transfer\CustomerIdentifierTransfer;
use Generated\Shared\Transfer\CustomerTransfer;
use Generated\Shared\Transfer\UserTransfer;

/**
 * The shop's spy_user and spy_customer rows as the records the engine's
 * directory callables return (D19). The shop's tables stay the source of truth.
 */
final class DirectoryRecords
{
    /**
     * @return array{id: int, username: string, password_hash: string, status: string}
     */
    public static function agent(UserTransfer $user): array
    {
        return [
            'id' => (int) $user->getIdUser(),
            'username' => (string) $user->getUsername(),
            'password_hash' => (string) $user->getPassword(),
            'status' => (string) $user->getStatus(),
        ];
    }

    /**
     * The customer as the engine's record. `id_company_user` and `permissions`
     * go into the token's `sub`; they come from $identifier, the
     * CustomerIdentifierTransfer the shop's OauthCustomerConnector identifier
     * expanders built, read the way Spryker's CustomerProvider writes `sub`
     * (`toArray()`): a B2B shop's company user UUID, and permissions where an
     * expander put them there; null where none did, as in a B2C shop.
     * Without $identifier (a search result), the company user the transfer
     * carries, if any, and no permissions.
     *
     * @return array{id_customer: int, customer_reference: string, email: string, first_name: string, last_name: string, id_company_user: string|null, permissions: array|null, is_active: bool}
     */
    public static function customer(CustomerTransfer $customer, ?CustomerIdentifierTransfer $identifier = null): array
    {
        // toArray(): a shop without the B2B modules has no idCompanyUser or
        // permissions property, and then no such key.
        $sub = $identifier?->toArray();

        return [
            'id_customer' => (int) $customer->getIdCustomer(),
            'customer_reference' => (string) $customer->getCustomerReference(),
            'email' => (string) $customer->getEmail(),
            'first_name' => (string) $customer->getFirstName(),
            'last_name' => (string) $customer->getLastName(),
            'id_company_user' => $sub === null ? $customer->getCompanyUserTransfer()?->getUuid() : ($sub['id_company_user'] ?? null),
            'permissions' => $sub['permissions'] ?? null,
            // An anonymized customer cannot be impersonated.
            'is_active' => $customer->getAnonymizedAt() === null,
        ];
    }

    /**
     * @return array{customers: list<array>, total: int}
     */
    public static function page(CustomerAutocompleteResponseTransfer $response): array
    {
        $customers = [];
        foreach ($response->getCustomers() as $customer) {
            $customers[] = self::customer($customer);
        }

        return ['customers' => $customers, 'total' => (int) $response->getPagination()?->getNbResults()];
    }
}
