<?php

/**
 * Stand-ins for the Zed side of the Pyz example (issue 13), beside
 * spryker-shims.php: Symfony's console and Spryker's Console base, the
 * OauthCustomerConnector identifier expanders of a B2B shop, Spryker's OAuth
 * installer and grant plugins, and the Oauth facade that writes
 * spy_oauth_scope. Names, namespaces and signatures are Spryker's and
 * Symfony's; the bodies are reduced to what the tests need. Not their code.
 *
 * Deviations, forced by spryker-shims.php: its InstallerPluginInterface
 * declares `install(): void`, so the installer stand-ins do too (Spryker's
 * OauthCustomerScopeInstallerPlugin declares no return type); its
 * OauthDependencyProvider has no grant plugins of its own (Spryker's has
 * password and refresh_token); its CustomerFacadeInterface lacks
 * getCustomerByCriteria(), which the tests' facades add.
 */

declare(strict_types=1);

namespace Generated\Shared\Transfer {

    class CustomerCriteriaTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['id_customer' => 'idCustomer', 'customer_reference' => 'customerReference',
            'with_expanders' => 'withExpanders'];
    }

    /**
     * The merged transfer of a B2B shop, in the order of its generated class
     * (spryker/oauth-permission and spryker/company-users-rest-api add
     * idCompanyUser and permissions; oauth-agent-connector idAgent;
     * oauth-customer-connector customerReference and idCustomer).
     */
    class CustomerIdentifierTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['id_company_user' => 'idCompanyUser', 'id_agent' => 'idAgent',
            'customer_reference' => 'customerReference', 'id_customer' => 'idCustomer', 'permissions' => 'permissions'];
    }

    class PermissionCollectionTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['permissions' => 'permissions'];
    }

    /** spryker/permission's Permission transfer. */
    class PermissionTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['id_permission' => 'idPermission', 'key' => 'key', 'configuration' => 'configuration',
            'configuration_signature' => 'configurationSignature', 'is_infrastructural' => 'isInfrastructural'];
    }

    class OauthClientTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['identifier' => 'identifier', 'secret' => 'secret', 'is_confidential' => 'isConfidential',
            'name' => 'name', 'redirect_uri' => 'redirectUri', 'is_default' => 'isDefault'];
    }
}

namespace Symfony\Component\Console\Exception {

    interface ExceptionInterface extends \Throwable
    {
    }

    class InvalidArgumentException extends \InvalidArgumentException implements ExceptionInterface
    {
    }

    class InvalidOptionException extends \InvalidArgumentException implements ExceptionInterface
    {
    }

    class LogicException extends \LogicException implements ExceptionInterface
    {
    }
}

namespace Symfony\Component\Console\Input {

    use Symfony\Component\Console\Exception\InvalidArgumentException;
    use Symfony\Component\Console\Exception\InvalidOptionException;

    class InputOption
    {
        public const VALUE_NONE = 1;
        public const VALUE_REQUIRED = 2;
        public const VALUE_OPTIONAL = 4;
        public const VALUE_IS_ARRAY = 8;
        public const VALUE_NEGATABLE = 16;

        private int $mode;

        public function __construct(
            private string $name,
            string|array|null $shortcut = null,
            ?int $mode = null,
            private string $description = '',
            private mixed $default = null,
        ) {
            $this->name = ltrim($name, '-');
            $this->mode = $mode ?? self::VALUE_NONE;
            if ($this->mode & self::VALUE_NONE) {
                $this->default = false;
            }
        }

        public function getName(): string
        {
            return $this->name;
        }

        public function acceptValue(): bool
        {
            return $this->isValueRequired() || $this->isValueOptional();
        }

        public function isValueRequired(): bool
        {
            return (bool) ($this->mode & self::VALUE_REQUIRED);
        }

        public function isValueOptional(): bool
        {
            return (bool) ($this->mode & self::VALUE_OPTIONAL);
        }

        public function getDefault(): mixed
        {
            return $this->default;
        }

        public function getDescription(): string
        {
            return $this->description;
        }
    }

    class InputDefinition
    {
        /** @var array<string, InputOption> */
        private array $options = [];

        public function addOption(InputOption $option): void
        {
            $this->options[$option->getName()] = $option;
        }

        public function hasOption(string $name): bool
        {
            return isset($this->options[$name]);
        }

        public function getOption(string $name): InputOption
        {
            if (!$this->hasOption($name)) {
                throw new InvalidArgumentException(sprintf('The "--%s" option does not exist.', $name));
            }
            return $this->options[$name];
        }

        /** @return array<string, InputOption> */
        public function getOptions(): array
        {
            return $this->options;
        }
    }

    interface InputInterface
    {
        public function bind(InputDefinition $definition): void;

        public function validate(): void;

        public function getOptions(): array;

        public function getOption(string $name): mixed;

        public function setOption(string $name, mixed $value): void;

        public function hasOption(string $name): bool;

        public function isInteractive(): bool;
    }

    /** Options only, as `['--name' => 'value']`; a VALUE_NONE option as `['--name' => true]`. */
    class ArrayInput implements InputInterface
    {
        private InputDefinition $definition;

        /** @var array<string, mixed> */
        private array $options = [];

        public function __construct(private array $parameters, ?InputDefinition $definition = null)
        {
            $this->definition = $definition ?? new InputDefinition();
        }

        public function bind(InputDefinition $definition): void
        {
            $this->definition = $definition;
            $this->options = [];
            foreach ($this->parameters as $key => $value) {
                if (!is_string($key) || !str_starts_with($key, '--')) {
                    throw new InvalidArgumentException(sprintf('The "%s" argument does not exist.', $key));
                }
                $name = substr($key, 2);
                if (!$definition->hasOption($name)) {
                    throw new InvalidOptionException(sprintf('The "--%s" option does not exist.', $name));
                }
                $option = $definition->getOption($name);
                if ($value === null) {
                    if ($option->isValueRequired()) {
                        throw new InvalidOptionException(sprintf('The "--%s" option requires a value.', $name));
                    }
                    if (!$option->isValueOptional()) {
                        $value = true;
                    }
                }
                $this->options[$name] = $value;
            }
        }

        public function validate(): void
        {
        }

        public function getOptions(): array
        {
            $options = [];
            foreach ($this->definition->getOptions() as $name => $option) {
                $options[$name] = $this->getOption($name);
            }
            return $options;
        }

        public function getOption(string $name): mixed
        {
            $option = $this->definition->getOption($name);
            return array_key_exists($name, $this->options) ? $this->options[$name] : $option->getDefault();
        }

        public function setOption(string $name, mixed $value): void
        {
            $this->definition->getOption($name);
            $this->options[$name] = $value;
        }

        public function hasOption(string $name): bool
        {
            return $this->definition->hasOption($name);
        }

        public function isInteractive(): bool
        {
            return false;
        }
    }
}

namespace Symfony\Component\Console\Output {

    interface OutputInterface
    {
        public const VERBOSITY_QUIET = 16;
        public const VERBOSITY_NORMAL = 32;
        public const VERBOSITY_VERBOSE = 64;
        public const VERBOSITY_VERY_VERBOSE = 128;
        public const VERBOSITY_DEBUG = 256;

        public const OUTPUT_NORMAL = 1;
        public const OUTPUT_RAW = 2;
        public const OUTPUT_PLAIN = 4;

        public function write(string|iterable $messages, bool $newline = false, int $options = 0): void;

        public function writeln(string|iterable $messages, int $options = 0): void;

        public function setVerbosity(int $level): void;

        public function getVerbosity(): int;

        public function isDecorated(): bool;
    }

    /**
     * Symfony's undecorated output (a pipe, a file, cron's mail): style tags
     * such as <info> and <fg=yellow> are removed, unknown tags stay, `\<`
     * reads as `<`; OUTPUT_RAW writes the message as it is.
     */
    class BufferedOutput implements OutputInterface
    {
        private string $buffer = '';

        public function __construct(private int $verbosity = self::VERBOSITY_NORMAL)
        {
        }

        public function fetch(): string
        {
            $content = $this->buffer;
            $this->buffer = '';
            return $content;
        }

        public function write(string|iterable $messages, bool $newline = false, int $options = 0): void
        {
            $verbosity = $options & (self::VERBOSITY_QUIET | self::VERBOSITY_NORMAL | self::VERBOSITY_VERBOSE
                | self::VERBOSITY_VERY_VERBOSE | self::VERBOSITY_DEBUG) ?: self::VERBOSITY_NORMAL;
            if ($verbosity > $this->verbosity) {
                return;
            }
            foreach (is_string($messages) ? [$messages] : $messages as $message) {
                if (!($options & self::OUTPUT_RAW)) {
                    $message = $options & self::OUTPUT_PLAIN ? strip_tags($message) : self::unstyle($message);
                }
                $this->buffer .= $message . ($newline ? "\n" : '');
            }
        }

        public function writeln(string|iterable $messages, int $options = 0): void
        {
            $this->write($messages, true, $options);
        }

        private static function unstyle(string $message): string
        {
            $plain = preg_replace_callback('#(?<!\\\\)<(/?)([a-z][^<>]*)?>#i', static function (array $tag): string {
                $name = $tag[2] ?? '';
                $known = in_array($name, ['info', 'comment', 'error', 'question'], true)
                    || preg_match('/^(fg|bg|options|href)=/', $name) === 1
                    || ($tag[1] === '/' && $name === '');
                return $known ? '' : $tag[0];
            }, $message);
            return str_replace('\\<', '<', (string) $plain);
        }

        public function setVerbosity(int $level): void
        {
            $this->verbosity = $level;
        }

        public function getVerbosity(): int
        {
            return $this->verbosity;
        }

        public function isDecorated(): bool
        {
            return false;
        }
    }
}

namespace Symfony\Component\Console\Command {

    use Symfony\Component\Console\Exception\LogicException;
    use Symfony\Component\Console\Input\InputDefinition;
    use Symfony\Component\Console\Input\InputInterface;
    use Symfony\Component\Console\Input\InputOption;
    use Symfony\Component\Console\Output\OutputInterface;

    class Command
    {
        public const SUCCESS = 0;
        public const FAILURE = 1;
        public const INVALID = 2;

        private ?string $name = null;
        private string $description = '';
        private string $help = '';
        private InputDefinition $definition;

        public function __construct(?string $name = null)
        {
            $this->definition = new InputDefinition();
            if ($name !== null) {
                $this->setName($name);
            }
            $this->configure();
        }

        protected function configure()
        {
        }

        protected function execute(InputInterface $input, OutputInterface $output)
        {
            throw new LogicException('You must override the execute() method in the concrete command class.');
        }

        protected function initialize(InputInterface $input, OutputInterface $output)
        {
        }

        public function run(InputInterface $input, OutputInterface $output): int
        {
            $input->bind($this->getDefinition());
            $this->initialize($input, $output);
            $input->validate();
            $statusCode = $this->execute($input, $output);
            if (!is_int($statusCode)) {
                throw new \TypeError(sprintf('Return value of "%s::execute()" must be of the type int, "%s" returned.', static::class, get_debug_type($statusCode)));
            }
            return $statusCode;
        }

        public function setName(string $name): static
        {
            $this->name = $name;
            return $this;
        }

        public function getName(): ?string
        {
            return $this->name;
        }

        public function setDescription(string $description): static
        {
            $this->description = $description;
            return $this;
        }

        public function getDescription(): string
        {
            return $this->description;
        }

        public function setHelp(string $help): static
        {
            $this->help = $help;
            return $this;
        }

        public function getHelp(): string
        {
            return $this->help;
        }

        public function addOption(string $name, string|array|null $shortcut = null, ?int $mode = null, string $description = '', mixed $default = null): static
        {
            $this->definition->addOption(new InputOption($name, $shortcut, $mode, $description, $default));
            return $this;
        }

        public function getDefinition(): InputDefinition
        {
            return $this->definition;
        }

        public function getNativeDefinition(): InputDefinition
        {
            return $this->definition;
        }
    }
}

namespace Spryker\Zed\Kernel\Communication\Console {

    use Spryker\Zed\Kernel\Communication\AbstractCommunicationFactory;
    use Spryker\Zed\Kernel\Resolver;
    use Symfony\Component\Console\Command\Command as SymfonyCommand;
    use Symfony\Component\Console\Input\InputInterface;
    use Symfony\Component\Console\Output\OutputInterface;

    /**
     * Spryker's Console: the module's communication factory by naming
     * convention, info() and error(). The stand-in's terminal is 0 columns
     * wide, so error() adds no padding.
     */
    class Console extends SymfonyCommand
    {
        public const CODE_SUCCESS = 0;
        public const CODE_ERROR = 1;

        protected InputInterface $input;

        protected OutputInterface $output;

        protected ?AbstractCommunicationFactory $factory = null;

        public function setFactory(AbstractCommunicationFactory $factory): self
        {
            $this->factory = $factory;
            return $this;
        }

        protected function getFactory(): AbstractCommunicationFactory
        {
            if ($this->factory === null) {
                $module = Resolver::module(static::class);
                $name = substr($module, strrpos($module, '\\') + 1);
                $this->factory = Resolver::get("$module\\Communication\\{$name}CommunicationFactory");
            }
            return $this->factory;
        }

        protected function initialize(InputInterface $input, OutputInterface $output): void
        {
            $this->input = $input;
            $this->output = $output;
        }

        public function info(array|string $message, bool $wrapInInfoTags = true): void
        {
            if (is_array($message)) {
                $message = implode(PHP_EOL, $message);
            }
            if ($wrapInInfoTags) {
                $message = '<info>' . $message . '</info>';
            }
            $this->output->writeln($message);
        }

        public function error(string $message): void
        {
            $this->output->writeln(sprintf('<error> %s</error>', $message));
        }
    }
}

namespace Spryker\Zed\Console {

    use Spryker\Zed\Kernel\AbstractBundleDependencyProvider;
    use Spryker\Zed\Kernel\Container;

    class ConsoleDependencyProvider extends AbstractBundleDependencyProvider
    {
        /**
         * @return array<\Symfony\Component\Console\Command\Command>
         */
        protected function getConsoleCommands(Container $container)
        {
            return [];
        }
    }
}

namespace Spryker\Zed\Oauth\Business {

    use Generated\Shared\Transfer\OauthScopeTransfer;

    /** The part of Spryker's OauthFacadeInterface the installers and OauthTokenConsole call. */
    interface OauthFacadeInterface
    {
        public function saveScope(OauthScopeTransfer $oauthScopeTransfer): OauthScopeTransfer;

        public function findScopeByIdentifier(OauthScopeTransfer $oauthScopeTransfer): ?OauthScopeTransfer;

        /**
         * @param array<string> $customerScopes
         * @return array<\Generated\Shared\Transfer\OauthScopeTransfer>
         */
        public function getScopesByIdentifiers(array $customerScopes): array;

        public function installOauthClient(): void;

        public function deleteExpiredRefreshTokens(): ?int;
    }
}

namespace AgentOauth\Tests\Fixtures {

    use Generated\Shared\Transfer\OauthScopeTransfer;
    use Spryker\Zed\Kernel\Locator;

    /**
     * What Spryker's AgentOauthScopeInstaller and OauthCustomerScopeInstaller
     * do: read the existing scopes through the Oauth facade, save the missing ones.
     */
    final class SprykerScopeInstaller
    {
        /** @param list<string> $identifiers */
        public static function install(array $identifiers): void
        {
            $oauthFacade = (new Locator())->oauth()->facade();
            $existing = [];
            foreach ($oauthFacade->getScopesByIdentifiers($identifiers) as $scope) {
                $existing[$scope->getIdentifier()] = $scope;
            }
            foreach (array_unique($identifiers) as $identifier) {
                if (!isset($existing[$identifier])) {
                    $existing[$identifier] = $oauthFacade->saveScope((new OauthScopeTransfer())->setIdentifier($identifier));
                }
            }
        }
    }

    /**
     * A B2B shop's company users, their permissions (spy_company_role_to_permission)
     * and the key-value storage StoredPermission... writes (Redis).
     */
    final class B2bShop
    {
        /** @var array<string, int> active company users: uuid => id_company_user */
        public static array $activeCompanyUsers = [];

        /** @var array<int, \Generated\Shared\Transfer\PermissionCollectionTransfer> id_company_user => permissions */
        public static array $permissions = [];

        /** @var array<string, array{value: string, ttl: int}> */
        public static array $storage = [];

        public static function reset(): void
        {
            self::$activeCompanyUsers = [];
            self::$permissions = [];
            self::$storage = [];
        }

        /** CompanyUserFacade::findActiveCompanyUserByUuid() and PermissionFacade::getPermissionsByIdentifier(). */
        public static function permissionsOfActiveCompanyUser(?string $uuid): ?\Generated\Shared\Transfer\PermissionCollectionTransfer
        {
            if (!$uuid || !isset(self::$activeCompanyUsers[$uuid])) {
                return null;
            }
            return self::$permissions[self::$activeCompanyUsers[$uuid]] ?? new \Generated\Shared\Transfer\PermissionCollectionTransfer();
        }
    }
}

namespace Spryker\Zed\OauthCustomerConnectorExtension\Dependency\Plugin {

    use Generated\Shared\Transfer\CustomerIdentifierTransfer;
    use Generated\Shared\Transfer\CustomerTransfer;

    interface OauthCustomerIdentifierExpanderPluginInterface
    {
        public function expandCustomerIdentifier(
            CustomerIdentifierTransfer $customerIdentifierTransfer,
            CustomerTransfer $customerTransfer
        ): CustomerIdentifierTransfer;
    }
}

namespace Spryker\Zed\CompanyUsersRestApi\Communication\Plugin\OauthCustomerConnector {

    use Generated\Shared\Transfer\CustomerIdentifierTransfer;
    use Generated\Shared\Transfer\CustomerTransfer;
    use Spryker\Zed\Kernel\Communication\AbstractPlugin;
    use Spryker\Zed\OauthCustomerConnectorExtension\Dependency\Plugin\OauthCustomerIdentifierExpanderPluginInterface;

    /** As spryker/company-users-rest-api's CustomerIdentifierExpander: the company user's UUID. */
    class CompanyUserOauthCustomerIdentifierExpanderPlugin extends AbstractPlugin implements OauthCustomerIdentifierExpanderPluginInterface
    {
        public function expandCustomerIdentifier(
            CustomerIdentifierTransfer $customerIdentifierTransfer,
            CustomerTransfer $customerTransfer
        ): CustomerIdentifierTransfer {
            $companyUserTransfer = $customerTransfer->getCompanyUserTransfer();
            if ($companyUserTransfer) {
                $customerIdentifierTransfer->setIdCompanyUser($companyUserTransfer->getUuid());
            }

            return $customerIdentifierTransfer;
        }
    }
}

namespace Spryker\Zed\OauthPermission\Communication\Plugin\OauthCustomerConnector {

    use AgentOauth\Tests\Fixtures\B2bShop;
    use Generated\Shared\Transfer\CustomerIdentifierTransfer;
    use Generated\Shared\Transfer\CustomerTransfer;
    use Spryker\Zed\Kernel\Communication\AbstractPlugin;
    use Spryker\Zed\OauthCustomerConnectorExtension\Dependency\Plugin\OauthCustomerIdentifierExpanderPluginInterface;

    /**
     * As spryker/oauth-permission's CustomerIdentifierPermissionsStorage: the
     * active company user's permissions go to the storage under
     * company_user_permissions_<uuid> for 28800 s; the identifier is unchanged.
     */
    class StoredPermissionOauthCustomerIdentifierExpanderPlugin extends AbstractPlugin implements OauthCustomerIdentifierExpanderPluginInterface
    {
        public function expandCustomerIdentifier(
            CustomerIdentifierTransfer $customerIdentifierTransfer,
            CustomerTransfer $customerTransfer
        ): CustomerIdentifierTransfer {
            $permissions = B2bShop::permissionsOfActiveCompanyUser($customerIdentifierTransfer->getIdCompanyUser());
            if ($permissions !== null) {
                B2bShop::$storage['company_user_permissions_' . $customerIdentifierTransfer->getIdCompanyUser()] = [
                    'value' => json_encode($permissions->toArray()),
                    'ttl' => 28800,
                ];
            }

            return $customerIdentifierTransfer;
        }
    }

    /**
     * As spryker/oauth-permission's CustomerIdentifierExpander (the older
     * wiring): the active company user's permissions go into the identifier.
     */
    class PermissionOauthCustomerIdentifierExpanderPlugin extends AbstractPlugin implements OauthCustomerIdentifierExpanderPluginInterface
    {
        public function expandCustomerIdentifier(
            CustomerIdentifierTransfer $customerIdentifierTransfer,
            CustomerTransfer $customerTransfer
        ): CustomerIdentifierTransfer {
            $permissions = B2bShop::permissionsOfActiveCompanyUser($customerIdentifierTransfer->getIdCompanyUser());
            if ($permissions !== null) {
                $customerIdentifierTransfer->setPermissions($permissions);
            }

            return $customerIdentifierTransfer;
        }
    }
}

namespace Spryker\Zed\OauthCustomerConnector {

    use Spryker\Zed\Kernel\AbstractBundleDependencyProvider;
    use Spryker\Zed\Kernel\Container;

    class OauthCustomerConnectorDependencyProvider extends AbstractBundleDependencyProvider
    {
        public const PLUGINS_OAUTH_CUSTOMER_IDENTIFIER_EXPANDER = 'PLUGINS_OAUTH_CUSTOMER_IDENTIFIER_EXPANDER';

        public function provideBusinessLayerDependencies(Container $container): Container
        {
            $container->set(static::PLUGINS_OAUTH_CUSTOMER_IDENTIFIER_EXPANDER, function () {
                return $this->getOauthCustomerIdentifierExpanderPlugins();
            });

            return $container;
        }

        /**
         * @return array<\Spryker\Zed\OauthCustomerConnectorExtension\Dependency\Plugin\OauthCustomerIdentifierExpanderPluginInterface>
         */
        protected function getOauthCustomerIdentifierExpanderPlugins(): array
        {
            return [];
        }
    }
}

namespace Pyz\Zed\OauthCustomerConnector {

    use Spryker\Zed\CompanyUsersRestApi\Communication\Plugin\OauthCustomerConnector\CompanyUserOauthCustomerIdentifierExpanderPlugin;
    use Spryker\Zed\OauthCustomerConnector\OauthCustomerConnectorDependencyProvider as SprykerOauthCustomerConnectorDependencyProvider;
    use Spryker\Zed\OauthPermission\Communication\Plugin\OauthCustomerConnector\StoredPermissionOauthCustomerIdentifierExpanderPlugin;

    /**
     * The shop's own file, as spryker-shop/b2b-demo-shop has it
     * (src/Pyz/Zed/OauthCustomerConnector/OauthCustomerConnectorDependencyProvider.php):
     * the shop of these tests is a B2B shop. A B2C demo shop has no such file.
     */
    class OauthCustomerConnectorDependencyProvider extends SprykerOauthCustomerConnectorDependencyProvider
    {
        /** @var list<object>|null the tests' other wirings; null: the demo shop's */
        public static ?array $plugins = null;

        protected function getOauthCustomerIdentifierExpanderPlugins(): array
        {
            return self::$plugins ?? [
                new CompanyUserOauthCustomerIdentifierExpanderPlugin(),
                new StoredPermissionOauthCustomerIdentifierExpanderPlugin(),
            ];
        }
    }
}

namespace Spryker\Zed\Installer\Dependency\Plugin {

    /** Spryker's deprecated installer interface, which the OAuth modules' installer plugins implement. */
    interface InstallerPluginInterface extends \Spryker\Zed\InstallerExtension\Dependency\Plugin\InstallerPluginInterface
    {
    }
}

namespace Spryker\Zed\Oauth\Communication\Plugin\Installer {

    use Spryker\Zed\Installer\Dependency\Plugin\InstallerPluginInterface;
    use Spryker\Zed\Kernel\Communication\AbstractPlugin;
    use Spryker\Zed\Kernel\Locator;

    /** spryker/oauth: the OAUTH_CLIENT_CONFIGURATION clients in spy_oauth_client. */
    class OauthClientInstallerPlugin extends AbstractPlugin implements InstallerPluginInterface
    {
        public function install(): void
        {
            (new Locator())->oauth()->facade()->installOauthClient();
        }
    }
}

namespace Spryker\Zed\OauthCustomerConnector\Communication\Plugin\Installer {

    use AgentOauth\Tests\Fixtures\SprykerScopeInstaller;
    use Spryker\Zed\Installer\Dependency\Plugin\InstallerPluginInterface;
    use Spryker\Zed\Kernel\Communication\AbstractPlugin;

    /** spryker/oauth-customer-connector: getCustomerScopes() + getCustomerImpersonationScopes() in spy_oauth_scope. */
    class OauthCustomerScopeInstallerPlugin extends AbstractPlugin implements InstallerPluginInterface
    {
        public function install(): void
        {
            SprykerScopeInstaller::install(['customer', 'customer_impersonation', 'customer']);
        }
    }
}

namespace Spryker\Zed\OauthAgentConnector\Communication\Plugin\Installer {

    use AgentOauth\Tests\Fixtures\SprykerScopeInstaller;
    use Spryker\Zed\Installer\Dependency\Plugin\InstallerPluginInterface;
    use Spryker\Zed\Kernel\Communication\AbstractPlugin;

    /** spryker/oauth-agent-connector: getAgentScopes() (agent) in spy_oauth_scope. */
    class AgentOauthScopeInstallerPlugin extends AbstractPlugin implements InstallerPluginInterface
    {
        public function install(): void
        {
            SprykerScopeInstaller::install(['agent']);
        }
    }
}

namespace Spryker\Zed\OauthCustomerConnector\Communication\Plugin\Oauth {

    use Generated\Shared\Transfer\OauthGrantTypeConfigurationTransfer;
    use Spryker\Zed\Kernel\Communication\AbstractPlugin;
    use Spryker\Zed\OauthCustomerConnector\Business\League\Grant\CustomerImpersonationGrantType;
    use Spryker\Zed\OauthExtension\Dependency\Plugin\OauthGrantTypeConfigurationProviderPluginInterface;

    /** spryker/oauth-customer-connector's, as it is. */
    class CustomerImpersonationOauthGrantTypeConfigurationProviderPlugin extends AbstractPlugin implements OauthGrantTypeConfigurationProviderPluginInterface
    {
        public function getGrantTypeConfiguration(): OauthGrantTypeConfigurationTransfer
        {
            return (new OauthGrantTypeConfigurationTransfer())
                ->setIdentifier('customer_impersonation')
                ->setFullyQualifiedClassName(CustomerImpersonationGrantType::class);
        }
    }
}

namespace Spryker\Zed\Oauth\Communication\Console {

    use Spryker\Zed\Kernel\Communication\Console\Console;
    use Spryker\Zed\Kernel\Locator;
    use Symfony\Component\Console\Input\InputInterface;
    use Symfony\Component\Console\Output\OutputInterface;

    /** spryker/oauth's oauth:refresh-token:remove-expired. */
    class OauthTokenConsole extends Console
    {
        public const COMMAND_NAME = 'oauth:refresh-token:remove-expired';
        public const DESCRIPTION = 'Remove expired refresh tokens from the database.';

        protected function configure(): void
        {
            $this->setName(static::COMMAND_NAME)
                ->setDescription(static::DESCRIPTION)
                ->setHelp('<info>' . static::COMMAND_NAME . ' -h</info>');
        }

        public function execute(InputInterface $input, OutputInterface $output)
        {
            $deleteCount = (new Locator())->oauth()->facade()->deleteExpiredRefreshTokens();
            $output->writeln(sprintf('<fg=white>Removed %s expired refresh tokens </fg=white>', $deleteCount));

            return static::CODE_SUCCESS;
        }
    }
}
