<?php

/**
 * Stand-ins for the Client -> Zed hop of the Pyz example (handler mode,
 * issue 13), beside spryker-shims.php, spryker-shims-glue.php and
 * spryker-shims-zed.php: Spryker's Client kernel (client, factory,
 * dependency provider, container, locator), the ZedRequest client, Zed's
 * gateway controller base, and the AgentOauthCustomerRecord transfer of
 * examples/php/spryker/src/Pyz/Shared/AgentOauth/Transfer/agent_oauth.transfer.xml.
 * Names, namespaces and the signatures the Pyz classes call are Spryker's;
 * the bodies are written here and reduced to what the tests need. Not
 * Spryker's code.
 *
 * The ZedRequest client stands in for the HTTP hop: it sends the transfer
 * as Spryker's does (its toArray() and class name, JSON-encoded), and Zed's
 * side, ZedGateway below, routes `/module/controller/action` to the
 * project's GatewayController in-process, rebuilds the transfer with
 * fromArray() and answers the same way. Each answered call is kept as it
 * went over the wire (ZedRequestClient::$calls); an exception in Zed reaches
 * the caller as Spryker's RequestException.
 *
 * Deviations: TransferInterface is a marker here, since the transfer
 * stand-ins' toArray() and fromArray() (spryker-shims.php) have narrower
 * signatures than Spryker's interface declares; Spryker sends
 * modifiedToArray(), the stand-ins have toArray() only.
 */

declare(strict_types=1);

namespace Spryker\Shared\Kernel\Transfer {

    interface TransferInterface
    {
    }
}

namespace Generated\Shared\Transfer {

    use Spryker\Shared\Kernel\Transfer\TransferInterface;

    /** agent_oauth.transfer.xml's AgentOauthCustomerRecord. */
    class AgentOauthCustomerRecordTransfer extends AbstractTransfer implements TransferInterface
    {
        protected const PROPERTIES = ['customer_reference' => 'customerReference', 'record' => 'record'];
    }
}

namespace Spryker\Client\Kernel\ClassResolver {

    /**
     * Not a Spryker class: the naming convention Spryker's Client resolvers
     * follow, the project's class (Pyz) before the core's (Spryker).
     */
    final class ConventionResolver
    {
        /** `Pyz\Client\AgentOauth\Zed\X` => `AgentOauth`. */
        public static function module(object|string $caller): string
        {
            return explode('\\', is_object($caller) ? $caller::class : $caller)[2];
        }

        /** `%s` in $pattern is the module; null when neither organization has the class. */
        public static function find(string $module, string $pattern): ?string
        {
            foreach (['Pyz', 'Spryker'] as $organization) {
                $class = "$organization\\Client\\$module\\" . sprintf($pattern, $module);
                if (class_exists($class)) {
                    return $class;
                }
            }

            return null;
        }
    }
}

namespace Spryker\Client\Kernel {

    use Spryker\Client\Kernel\ClassResolver\ConventionResolver;

    /**
     * The Client locator: `->zedRequest()->client()` is the module's client,
     * `Pyz\Client\ZedRequest\ZedRequestClient` or else
     * `Spryker\Client\ZedRequest\ZedRequestClient`, unless the test put one
     * into $clients.
     */
    class Locator
    {
        /** @var array<string, object> bundle => client, in place of the convention's */
        public static array $clients = [];

        private static ?Locator $instance = null;

        public static function getInstance()
        {
            return self::$instance ??= new self();
        }

        private function __construct()
        {
        }

        public function __call($bundle, ?array $arguments = null)
        {
            return new class ((string) $bundle) {
                public function __construct(private string $bundle)
                {
                }

                public function client(): object
                {
                    if (isset(Locator::$clients[$this->bundle])) {
                        return Locator::$clients[$this->bundle];
                    }
                    $module = ucfirst($this->bundle);
                    $class = ConventionResolver::find($module, '%sClient');
                    if ($class === null) {
                        throw new \LogicException("No client for the module $module");
                    }

                    return new $class();
                }
            };
        }
    }

    class Container
    {
        /** @var array<string, mixed> */
        private array $services = [];

        public function set(string $id, $service): void
        {
            $this->services[$id] = $service;
        }

        /** A closure is a service: resolved on first get, then kept. */
        public function get(string $id)
        {
            if (!array_key_exists($id, $this->services)) {
                throw new \LogicException("The container has no $id");
            }
            if ($this->services[$id] instanceof \Closure) {
                $this->services[$id] = ($this->services[$id])($this);
            }

            return $this->services[$id];
        }

        public function has(string $id): bool
        {
            return array_key_exists($id, $this->services);
        }

        public function getLocator()
        {
            return Locator::getInstance();
        }
    }

    abstract class AbstractDependencyProvider
    {
        /**
         * @return \Spryker\Client\Kernel\Container
         */
        public function provideServiceLayerDependencies(Container $container)
        {
            return $container;
        }
    }

    abstract class AbstractFactory
    {
        private ?Container $container = null;

        /** The module's dependency provider's service layer, resolved once per factory. */
        protected function getProvidedDependency($key)
        {
            if ($this->container === null) {
                $provider = ConventionResolver::find(ConventionResolver::module($this), '%sDependencyProvider');
                $this->container = (new $provider())->provideServiceLayerDependencies(new Container());
            }

            return $this->container->get($key);
        }
    }

    abstract class AbstractClient
    {
        /**
         * @var \Spryker\Client\Kernel\AbstractFactory|null
         */
        protected $factory;

        public function setFactory(AbstractFactory $factory)
        {
            $this->factory = $factory;

            return $this;
        }

        /** The module's `<Module>Factory`, the project's before the core's. */
        protected function getFactory()
        {
            if ($this->factory === null) {
                $class = ConventionResolver::find(ConventionResolver::module($this), '%sFactory');
                $this->factory = new $class();
            }

            return $this->factory;
        }
    }
}

namespace Spryker\Shared\ZedRequest\Client\Exception {

    /** What Glue gets when Zed does not answer a ZedRequest successfully. */
    class RequestException extends \RuntimeException
    {
    }
}

namespace Spryker\Client\ZedRequest {

    use AgentOauth\Tests\Fixtures\ZedGateway;
    use Spryker\Shared\Kernel\Transfer\TransferInterface;
    use Spryker\Shared\ZedRequest\Client\Exception\RequestException;

    interface ZedRequestClientInterface
    {
        /**
         * @param string $url
         * @param array|int|null $requestOptions
         *
         * @return \Spryker\Shared\Kernel\Transfer\TransferInterface
         */
        public function call($url, TransferInterface $object, $requestOptions = null);
    }

    /**
     * Spryker's ZedRequest client, with Zed in the same process: the request
     * and the answer are each JSON-encoded and decoded as over HTTP, and the
     * answer's transfer is a new object built with fromArray().
     */
    class ZedRequestClient implements ZedRequestClientInterface
    {
        /** @var list<array{url: string, request: array, response: array}> what went over the wire, decoded */
        public static array $calls = [];

        public function call($url, TransferInterface $object, $requestOptions = null)
        {
            // ZedRequest's Request: the transfer's array and its class name.
            $request = json_encode(['transfer' => $object->toArray(), 'transferClassName' => $object::class], JSON_THROW_ON_ERROR);
            try {
                $response = json_decode(ZedGateway::handle((string) $url, $request), true, 512, JSON_THROW_ON_ERROR);
            } catch (\Throwable $zedError) {
                // Zed's exception stays in Zed: Glue sees a failed request.
                throw new RequestException("Failed to complete request with server authority zed: {$zedError->getMessage()}", 500, $zedError);
            }
            self::$calls[] = ['url' => (string) $url, 'request' => json_decode($request, true, 512, JSON_THROW_ON_ERROR), 'response' => $response];

            return (new $response['transferClassName']())->fromArray($response['transfer'], true);
        }
    }
}

namespace Spryker\Zed\Kernel\Communication\Controller {

    use Spryker\Zed\Kernel\Communication\AbstractCommunicationFactory;
    use Spryker\Zed\Kernel\Resolver;

    abstract class AbstractController
    {
        /** The module's `Communication\<Module>CommunicationFactory`, one per class as Spryker's resolver caches. */
        protected function getFactory(): AbstractCommunicationFactory
        {
            $module = Resolver::module(static::class);
            $name = substr($module, strrpos($module, '\\') + 1);

            return Resolver::get("$module\\Communication\\{$name}CommunicationFactory");
        }
    }

    abstract class AbstractGatewayController extends AbstractController
    {
        /**
         * @var bool
         */
        protected $success = true;

        public function isSuccess()
        {
            return $this->success;
        }

        protected function setSuccess($success)
        {
            $this->success = $success;

            return $this;
        }
    }
}

namespace AgentOauth\Tests\Fixtures {

    /**
     * Not a Spryker class: Zed's side of a ZedRequest, reduced. The path
     * `/agent-oauth/gateway/find-impersonation-customer` names the module
     * (AgentOauth), the controller (GatewayController, the project's before
     * the core's) and the action (findImpersonationCustomerAction); the
     * action gets the request's transfer, rebuilt from its array, and its
     * transfer goes back as an array with its class name.
     */
    final class ZedGateway
    {
        public static function handle(string $url, string $body): string
        {
            $camel = static fn (string $part): string => str_replace('-', '', ucwords($part, '-'));
            if (preg_match('#^/([a-z0-9-]+)/([a-z0-9-]+)/([a-z0-9-]+)$#', $url, $path) !== 1) {
                throw new \InvalidArgumentException("Not a Zed gateway path: $url");
            }
            [, $module, $controller, $action] = $path;
            $class = null;
            foreach (['Pyz', 'Spryker'] as $organization) {
                $candidate = "$organization\\Zed\\" . $camel($module) . '\\Communication\\Controller\\' . $camel($controller) . 'Controller';
                if (class_exists($candidate)) {
                    $class = $candidate;
                    break;
                }
            }
            $method = lcfirst($camel($action)) . 'Action';
            if ($class === null || !method_exists($class, $method)) {
                throw new \InvalidArgumentException("No Zed gateway action for $url");
            }
            $request = json_decode($body, true, 512, JSON_THROW_ON_ERROR);
            $transfer = (new $request['transferClassName']())->fromArray($request['transfer'], true);
            $result = (new $class())->$method($transfer);

            return json_encode(['transfer' => $result->toArray(), 'transferClassName' => $result::class], JSON_THROW_ON_ERROR);
        }
    }
}
