<?php

/**
 * The few Spryker classes and interfaces the Pyz example classes of
 * examples/php/spryker/ use, reduced to what SprykerExampleTest needs:
 * transfers with toArray()/fromArray(), plugin and facade interfaces, and a
 * kernel that resolves factories, configs and dependencies by naming
 * convention as Spryker's does. Not Spryker's code: stand-ins with its names.
 */

declare(strict_types=1);

namespace Generated\Shared\Transfer {

    abstract class AbstractTransfer
    {
        /** @var array<string, string> snake_case key => property, in toArray() order */
        protected const PROPERTIES = [];

        /** @var array<string, mixed> */
        private array $values = [];

        public function __call(string $name, array $arguments): mixed
        {
            $prefix = substr($name, 0, 3);
            $key = $this->key(lcfirst(substr($name, 3)));
            if ($prefix === 'get') {
                return $this->values[$key] ?? null;
            }
            if ($prefix === 'set') {
                $this->values[$key] = $arguments[0];
                return $this;
            }
            throw new \BadMethodCallException(static::class . "::$name");
        }

        private function key(string $property): string
        {
            $key = array_search($property, static::PROPERTIES, true);
            if ($key === false) {
                throw new \BadMethodCallException(static::class . " has no property $property");
            }
            return $key;
        }

        public function toArray(): array
        {
            $array = [];
            foreach (array_keys(static::PROPERTIES) as $key) {
                $value = $this->values[$key] ?? null;
                if ($value instanceof self) {
                    $value = $value->toArray();
                } elseif (is_array($value)) {
                    $value = array_map(static fn ($v) => $v instanceof self ? $v->toArray() : $v, $value);
                }
                $array[$key] = $value;
            }
            return $array;
        }

        public function fromArray(array $data, bool $ignoreMissingProperty = false): static
        {
            foreach ($data as $key => $value) {
                if (array_key_exists($key, static::PROPERTIES)) {
                    $this->values[$key] = $value;
                } elseif (!$ignoreMissingProperty) {
                    throw new \InvalidArgumentException(static::class . " has no property $key");
                }
            }
            return $this;
        }
    }

    class OauthUserTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['is_success' => 'isSuccess', 'username' => 'username', 'password' => 'password',
            'grant_type' => 'grantType', 'client_id' => 'clientId', 'client_name' => 'clientName',
            'user_identifier' => 'userIdentifier', 'customer_reference' => 'customerReference'];
    }

    class OauthScopeRequestTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['default_scopes' => 'defaultScopes', 'grant_type' => 'grantType', 'client_id' => 'clientId',
            'client_name' => 'clientName', 'user_identifier' => 'userIdentifier', 'request_application' => 'requestApplication'];
    }

    class OauthScopeTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['id_oauth_scope' => 'idOauthScope', 'identifier' => 'identifier', 'description' => 'description'];
    }

    class OauthGrantTypeConfigurationTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['identifier' => 'identifier', 'fully_qualified_class_name' => 'fullyQualifiedClassName',
            'builder_fully_qualified_class_name' => 'builderFullyQualifiedClassName'];
    }

    class UserTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['id_user' => 'idUser', 'is_agent' => 'isAgent', 'username' => 'username',
            'password' => 'password', 'status' => 'status'];
    }

    class FindAgentResponseTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['is_agent_found' => 'isAgentFound', 'agent' => 'agent'];
    }

    class CompanyUserTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['uuid' => 'uuid'];
    }

    class CustomerTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['id_customer' => 'idCustomer', 'customer_reference' => 'customerReference',
            'email' => 'email', 'first_name' => 'firstName', 'last_name' => 'lastName',
            'anonymized_at' => 'anonymizedAt', 'company_user_transfer' => 'companyUserTransfer'];
    }

    class CustomerResponseTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['is_success' => 'isSuccess', 'customer_transfer' => 'customerTransfer'];
    }

    class CustomerQueryTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['query' => 'query', 'limit' => 'limit', 'offset' => 'offset'];
    }

    class PaginationTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['nb_results' => 'nbResults'];
    }

    class CustomerAutocompleteResponseTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['customers' => 'customers', 'pagination' => 'pagination'];
    }

    class OauthAccessTokenValidationRequestTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['type' => 'type', 'access_token' => 'accessToken'];
    }

    class OauthErrorTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['error_type' => 'errorType', 'message' => 'message'];
    }

    class OauthAccessTokenValidationResponseTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['is_valid' => 'isValid', 'oauth_access_token_id' => 'oauthAccessTokenId',
            'oauth_client_id' => 'oauthClientId', 'oauth_user_id' => 'oauthUserId',
            'oauth_scopes' => 'oauthScopes', 'error' => 'error'];
    }
}

namespace Spryker\Client\Kernel {

    abstract class AbstractPlugin
    {
    }
}

namespace Spryker\Client\OauthExtension\Dependency\Plugin {

    use Generated\Shared\Transfer\OauthAccessTokenValidationRequestTransfer;
    use Generated\Shared\Transfer\OauthAccessTokenValidationResponseTransfer;

    interface AccessTokenValidatorPluginInterface
    {
        public function validate(
            OauthAccessTokenValidationRequestTransfer $oauthAccessTokenValidationRequestTransfer,
            OauthAccessTokenValidationResponseTransfer $oauthAccessTokenValidationResponseTransfer
        ): OauthAccessTokenValidationResponseTransfer;
    }
}

namespace Spryker\Zed\OauthExtension\Dependency\Plugin {

    use Generated\Shared\Transfer\OauthGrantTypeConfigurationTransfer;
    use Generated\Shared\Transfer\OauthScopeRequestTransfer;
    use Generated\Shared\Transfer\OauthUserTransfer;

    interface OauthUserProviderPluginInterface
    {
        public function getUser(OauthUserTransfer $oauthUserTransfer): OauthUserTransfer;

        public function accept(OauthUserTransfer $oauthUserTransfer): bool;
    }

    interface OauthScopeProviderPluginInterface
    {
        public function accept(OauthScopeRequestTransfer $oauthScopeRequestTransfer): bool;

        public function getScopes(OauthScopeRequestTransfer $oauthScopeRequestTransfer): array;
    }

    interface OauthGrantTypeConfigurationProviderPluginInterface
    {
        public function getGrantTypeConfiguration(): OauthGrantTypeConfigurationTransfer;
    }
}

namespace Spryker\Zed\InstallerExtension\Dependency\Plugin {

    interface InstallerPluginInterface
    {
        public function install(): void;
    }
}

namespace Spryker\Zed\Agent\Business {

    use Generated\Shared\Transfer\CustomerAutocompleteResponseTransfer;
    use Generated\Shared\Transfer\CustomerQueryTransfer;
    use Generated\Shared\Transfer\FindAgentResponseTransfer;

    interface AgentFacadeInterface
    {
        public function findAgentByUsername(string $username): FindAgentResponseTransfer;

        public function findCustomersByQuery(CustomerQueryTransfer $customerQueryTransfer): CustomerAutocompleteResponseTransfer;
    }
}

namespace Spryker\Zed\Customer\Business {

    use Generated\Shared\Transfer\CustomerResponseTransfer;

    interface CustomerFacadeInterface
    {
        public function findCustomerByReference(string $customerReference): CustomerResponseTransfer;
    }
}

namespace Spryker\Client\Agent {

    use Generated\Shared\Transfer\CustomerAutocompleteResponseTransfer;
    use Generated\Shared\Transfer\CustomerQueryTransfer;
    use Generated\Shared\Transfer\UserTransfer;

    interface AgentClientInterface
    {
        public function findAgentByUsername(UserTransfer $userTransfer): ?UserTransfer;

        public function findCustomersByQuery(CustomerQueryTransfer $customerQueryTransfer): CustomerAutocompleteResponseTransfer;
    }
}

namespace Spryker\Client\Customer {

    use Generated\Shared\Transfer\CustomerResponseTransfer;
    use Generated\Shared\Transfer\CustomerTransfer;

    interface CustomerClientInterface
    {
        public function findCustomerByReference(CustomerTransfer $customerTransfer): CustomerResponseTransfer;
    }
}

namespace Spryker\Zed\Kernel {

    /** Spryker's locator, reduced to `->bundle()->facade()` from a map the test fills. */
    final class Locator
    {
        /** @var array<string, object> bundle => facade */
        public static array $facades = [];

        public function __call(string $bundle, array $arguments): object
        {
            return new class (self::$facades[$bundle]) {
                public function __construct(private object $facade)
                {
                }

                public function facade(): object
                {
                    return $this->facade;
                }
            };
        }
    }

    class Container
    {
        /** @var array<string, callable> */
        private array $services = [];

        public function set(string $key, callable $service): void
        {
            $this->services[$key] = $service;
        }

        public function get(string $key): mixed
        {
            return ($this->services[$key])($this);
        }

        public function getLocator(): Locator
        {
            return new Locator();
        }
    }

    abstract class AbstractBundleConfig
    {
        /** @var array<string, mixed> the shop's configuration (config_default.php) */
        public static array $values = [];

        protected function get(string $key, mixed $default = null): mixed
        {
            // As Spryker's: an unset key without a default is an error.
            if (!array_key_exists($key, self::$values) && $default === null) {
                throw new \Exception(sprintf('Could not find config key "%s" in "%s"', $key, static::class));
            }
            return self::$values[$key] ?? $default;
        }
    }

    abstract class AbstractBundleDependencyProvider
    {
        public function provideCommunicationLayerDependencies(Container $container): Container
        {
            return $container;
        }
    }

    /** Resolves `Pyz\Zed\<Module>\...` classes by Spryker's naming convention. */
    final class Resolver
    {
        /** @var array<string, object> one instance per class, as Spryker's resolver caches */
        private static array $instances = [];

        public static function module(string $class): string
        {
            return implode('\\', array_slice(explode('\\', $class), 0, 3));
        }

        public static function get(string $class): object
        {
            return self::$instances[$class] ??= new $class();
        }

        public static function reset(): void
        {
            self::$instances = [];
        }
    }
}

namespace Spryker\Zed\Kernel\Communication {

    use Spryker\Zed\Kernel\Container;
    use Spryker\Zed\Kernel\Resolver;

    abstract class AbstractPlugin
    {
        protected function getFactory(): AbstractCommunicationFactory
        {
            $module = Resolver::module(static::class);
            $name = substr($module, strrpos($module, '\\') + 1);
            return Resolver::get("$module\\Communication\\{$name}CommunicationFactory");
        }
    }

    abstract class AbstractCommunicationFactory
    {
        protected function getConfig(): object
        {
            $module = Resolver::module(static::class);
            $name = substr($module, strrpos($module, '\\') + 1);
            return Resolver::get("$module\\{$name}Config");
        }

        protected function getProvidedDependency(string $key): mixed
        {
            $module = Resolver::module(static::class);
            $name = substr($module, strrpos($module, '\\') + 1);
            $provider = Resolver::get("$module\\{$name}DependencyProvider");
            return $provider->provideCommunicationLayerDependencies(new Container())->get($key);
        }
    }
}

namespace Spryker\Zed\Oauth {

    class OauthDependencyProvider
    {
        protected function getUserProviderPlugins(): array
        {
            return [];
        }

        protected function getScopeProviderPlugins(): array
        {
            return [];
        }

        /** Spryker's own grant types (password, refresh_token) stand in here as nothing. */
        protected function getGrantTypeConfigurationProviderPlugins(): array
        {
            return [];
        }
    }
}

namespace Spryker\Zed\Installer {

    class InstallerDependencyProvider
    {
        public function getInstallerPlugins(): array
        {
            return [];
        }
    }
}
