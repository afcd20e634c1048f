<?php

/**
 * Stand-ins for the Glue application the Pyz Glue classes of
 * examples/php/spryker/ plug into (handler mode, issue 13): Spryker's Glue
 * kernel (plugins, factories, dependency providers, configs, controllers),
 * GlueApplicationExtension's resource route interfaces, the classic REST
 * application's router and ControllerFilter (a FormattedAbstractController
 * gets the Symfony request and its Symfony response is sent as it is; any
 * other controller gets a RestRequest and its RestResponse is rendered as
 * JSON:API), AuthRestApi's refresh-tokens controller and access-token check,
 * a carts resource, and the few Symfony HttpFoundation and PSR-3 classes
 * they use. Names, namespaces and the signatures the Pyz classes call are
 * Spryker's (Symfony's, PSR's); the bodies are written here and reduced to
 * what SprykerGlueResourcesTest needs. Not Spryker's code.
 */

declare(strict_types=1);

namespace Psr\Log {

    if (!interface_exists(LoggerInterface::class)) {
        interface LoggerInterface
        {
            public function emergency(string|\Stringable $message, array $context = []): void;

            public function alert(string|\Stringable $message, array $context = []): void;

            public function critical(string|\Stringable $message, array $context = []): void;

            public function error(string|\Stringable $message, array $context = []): void;

            public function warning(string|\Stringable $message, array $context = []): void;

            public function notice(string|\Stringable $message, array $context = []): void;

            public function info(string|\Stringable $message, array $context = []): void;

            public function debug(string|\Stringable $message, array $context = []): void;

            public function log($level, string|\Stringable $message, array $context = []): void;
        }
    }
}

namespace Symfony\Component\HttpFoundation {

    if (!class_exists(Request::class)) {
        class ParameterBag
        {
            public function __construct(protected array $parameters = [])
            {
            }

            public function all(?string $key = null): array
            {
                return $key === null ? $this->parameters : (array) ($this->parameters[$key] ?? []);
            }

            public function add(array $parameters = []): void
            {
                $this->parameters = array_replace($this->parameters, $parameters);
            }

            public function get(string $key, mixed $default = null): mixed
            {
                return array_key_exists($key, $this->parameters) ? $this->parameters[$key] : $default;
            }

            public function set(string $key, mixed $value): void
            {
                $this->parameters[$key] = $value;
            }

            public function has(string $key): bool
            {
                return array_key_exists($key, $this->parameters);
            }
        }

        class ServerBag extends ParameterBag
        {
            /** The request headers in $_SERVER: HTTP_* and CONTENT_*. */
            public function getHeaders(): array
            {
                $headers = [];
                foreach ($this->parameters as $key => $value) {
                    if (str_starts_with($key, 'HTTP_')) {
                        $headers[substr($key, 5)] = $value;
                    } elseif (in_array($key, ['CONTENT_TYPE', 'CONTENT_LENGTH', 'CONTENT_MD5'], true) && $value !== '') {
                        $headers[$key] = $value;
                    }
                }

                return $headers;
            }
        }

        class HeaderBag
        {
            /** @var array<string, list<string|null>> lower-case name => values */
            protected array $headers = [];

            public function __construct(array $headers = [])
            {
                foreach ($headers as $key => $values) {
                    $this->set((string) $key, $values);
                }
            }

            public function all(?string $key = null): array
            {
                return $key === null ? $this->headers : ($this->headers[$this->normalize($key)] ?? []);
            }

            public function get(string $key, ?string $default = null): ?string
            {
                return $this->headers[$this->normalize($key)][0] ?? $default;
            }

            public function set(string $key, string|array|null $values, bool $replace = true): void
            {
                $key = $this->normalize($key);
                $values = array_values((array) $values);
                $this->headers[$key] = $replace || !isset($this->headers[$key])
                    ? $values
                    : array_merge($this->headers[$key], $values);
            }

            public function has(string $key): bool
            {
                return array_key_exists($this->normalize($key), $this->headers);
            }

            protected function normalize(string $key): string
            {
                return strtr($key, '_ABCDEFGHIJKLMNOPQRSTUVWXYZ', '-abcdefghijklmnopqrstuvwxyz');
            }
        }

        class ResponseHeaderBag extends HeaderBag
        {
            /** @var array<string, string> lower-case name => the name as first set */
            protected array $headerNames = [];

            public function set(string $key, string|array|null $values, bool $replace = true): void
            {
                $this->headerNames[$this->normalize($key)] ??= $key;
                parent::set($key, $values, $replace);
            }

            public function allPreserveCase(): array
            {
                $headers = [];
                foreach ($this->headers as $key => $values) {
                    $headers[$this->headerNames[$key] ?? $key] = $values;
                }

                return $headers;
            }
        }

        class Request
        {
            public ParameterBag $attributes;

            public ParameterBag $request;

            public ParameterBag $query;

            public ServerBag $server;

            public ParameterBag $files;

            public ParameterBag $cookies;

            public HeaderBag $headers;

            /** @var string|resource|false|null */
            protected $content;

            public function __construct(
                array $query = [],
                array $request = [],
                array $attributes = [],
                array $cookies = [],
                array $files = [],
                array $server = [],
                $content = null
            ) {
                $this->query = new ParameterBag($query);
                $this->request = new ParameterBag($request);
                $this->attributes = new ParameterBag($attributes);
                $this->cookies = new ParameterBag($cookies);
                $this->files = new ParameterBag($files);
                $this->server = new ServerBag($server);
                $this->headers = new HeaderBag($this->server->getHeaders());
                $this->content = $content;
            }

            public static function create(
                string $uri,
                string $method = 'GET',
                array $parameters = [],
                array $cookies = [],
                array $files = [],
                array $server = [],
                $content = null
            ): static {
                $query = (string) parse_url($uri, PHP_URL_QUERY);
                $server = array_replace([
                    'SERVER_NAME' => 'localhost',
                    'SERVER_PORT' => 80,
                    'HTTP_HOST' => 'localhost',
                    'REMOTE_ADDR' => '127.0.0.1',
                    'SCRIPT_NAME' => '',
                ], $server, [
                    'REQUEST_METHOD' => strtoupper($method),
                    'REQUEST_URI' => $uri,
                    'QUERY_STRING' => $query,
                ]);
                parse_str($query, $queryParameters);

                return new static($queryParameters, $parameters, [], $cookies, $files, $server, $content);
            }

            public function getMethod(): string
            {
                return strtoupper((string) $this->server->get('REQUEST_METHOD', 'GET'));
            }

            /** The path, raw (not URL-decoded), as Symfony gives it. */
            public function getPathInfo(): string
            {
                return (string) parse_url((string) $this->server->get('REQUEST_URI', '/'), PHP_URL_PATH);
            }

            public function getContent(bool $asResource = false)
            {
                return (string) $this->content;
            }
        }

        class Response
        {
            public const HTTP_OK = 200;
            public const HTTP_CREATED = 201;
            public const HTTP_NO_CONTENT = 204;
            public const HTTP_BAD_REQUEST = 400;
            public const HTTP_UNAUTHORIZED = 401;
            public const HTTP_FORBIDDEN = 403;
            public const HTTP_NOT_FOUND = 404;
            public const HTTP_INTERNAL_SERVER_ERROR = 500;

            public static $statusTexts = [
                200 => 'OK',
                201 => 'Created',
                204 => 'No Content',
                400 => 'Bad Request',
                401 => 'Unauthorized',
                403 => 'Forbidden',
                404 => 'Not Found',
                500 => 'Internal Server Error',
            ];

            public ResponseHeaderBag $headers;

            protected string $content;

            protected int $statusCode;

            public function __construct(?string $content = '', int $status = 200, array $headers = [])
            {
                $this->headers = new ResponseHeaderBag($headers);
                $this->content = (string) $content;
                $this->statusCode = $status;
            }

            public function getContent(): string|false
            {
                return $this->content;
            }

            public function getStatusCode(): int
            {
                return $this->statusCode;
            }
        }
    }
}

namespace Generated\Shared\Transfer {

    class RestErrorMessageTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['code' => 'code', 'status' => 'status', 'detail' => 'detail'];
    }

    class RestRefreshTokensAttributesTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['refresh_token' => 'refreshToken'];
    }

    class RestTokenResponseAttributesTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['token_type' => 'tokenType', 'expires_in' => 'expiresIn',
            'access_token' => 'accessToken', 'refresh_token' => 'refreshToken'];
    }

    class RestCartsAttributesTransfer extends AbstractTransfer
    {
        protected const PROPERTIES = ['name' => 'name', 'currency' => 'currency'];
    }
}

namespace Spryker\Shared\Log\Config {

    interface LoggerConfigInterface
    {
    }
}

namespace Spryker\Shared\Log {

    use Psr\Log\LoggerInterface;
    use Spryker\Shared\Log\Config\LoggerConfigInterface;

    /** Spryker's logger factory, reduced to one logger that keeps its records for the test. */
    final class LoggerFactory
    {
        /** @var list<array{level: string, message: string, context: array}> */
        public static array $records = [];

        public static function getInstance(?LoggerConfigInterface $loggerConfig = null): LoggerInterface
        {
            return new class () implements LoggerInterface {
                public function emergency(string|\Stringable $message, array $context = []): void
                {
                    $this->log('emergency', $message, $context);
                }

                public function alert(string|\Stringable $message, array $context = []): void
                {
                    $this->log('alert', $message, $context);
                }

                public function critical(string|\Stringable $message, array $context = []): void
                {
                    $this->log('critical', $message, $context);
                }

                public function error(string|\Stringable $message, array $context = []): void
                {
                    $this->log('error', $message, $context);
                }

                public function warning(string|\Stringable $message, array $context = []): void
                {
                    $this->log('warning', $message, $context);
                }

                public function notice(string|\Stringable $message, array $context = []): void
                {
                    $this->log('notice', $message, $context);
                }

                public function info(string|\Stringable $message, array $context = []): void
                {
                    $this->log('info', $message, $context);
                }

                public function debug(string|\Stringable $message, array $context = []): void
                {
                    $this->log('debug', $message, $context);
                }

                public function log($level, string|\Stringable $message, array $context = []): void
                {
                    LoggerFactory::$records[] = ['level' => (string) $level, 'message' => (string) $message, 'context' => $context];
                }
            };
        }
    }

    trait LoggerTrait
    {
        protected function getLogger(?LoggerConfigInterface $loggerConfig = null): LoggerInterface
        {
            return LoggerFactory::getInstance($loggerConfig);
        }
    }
}

namespace Spryker\Glue\Kernel\ClassResolver {

    /**
     * Not a Spryker class: the naming convention Spryker's resolvers follow,
     * the project's class (Pyz) before the core's (Spryker).
     */
    final class ConventionResolver
    {
        /** `Pyz\Glue\AgentOauth\Controller\X` => `AgentOauth`. */
        public static function module(object|string $caller): string
        {
            return explode('\\', is_object($caller) ? $caller::class : $caller)[2];
        }

        /** `%s` in $pattern is the module; null when neither organization has the class. */
        public static function find(string $module, string $pattern): ?string
        {
            foreach (['Pyz', 'Spryker'] as $organization) {
                $class = "$organization\\Glue\\$module\\" . sprintf($pattern, $module);
                if (class_exists($class)) {
                    return $class;
                }
            }

            return null;
        }
    }
}

namespace Spryker\Glue\Kernel {

    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResourceBuilder;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResourceBuilderInterface;
    use Spryker\Glue\Kernel\ClassResolver\ConventionResolver;

    interface ModuleNameAwareInterface
    {
        public function getModuleName(): string;
    }

    /** Glue's locator, reduced to `->bundle()->client()` from a map the test fills. */
    final class Locator
    {
        /** @var array<string, object> bundle => client */
        public static array $clients = [];

        /** @var list<string> the bundles whose client was asked for, in order */
        public static array $asked = [];

        public static function getInstance(): self
        {
            return new self();
        }

        public function __call(string $bundle, array $arguments): object
        {
            return new class ($bundle) {
                public function __construct(private string $bundle)
                {
                }

                public function client(): object
                {
                    Locator::$asked[] = $this->bundle;

                    return Locator::$clients[$this->bundle];
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

    abstract class AbstractBundleConfig
    {
        /** @var array<string, mixed> the shop's configuration (config_default.php) */
        public static array $values = [];

        protected function get($key, $default = null)
        {
            return array_key_exists($key, self::$values) ? self::$values[$key] : $default;
        }
    }

    abstract class AbstractBundleDependencyProvider
    {
        /**
         * @return \Spryker\Glue\Kernel\Container
         */
        public function provideDependencies(Container $container)
        {
            return $container;
        }
    }

    abstract class AbstractFactory
    {
        private ?Container $container = null;

        private ?AbstractBundleConfig $config = null;

        /**
         * @return \Spryker\Glue\Kernel\AbstractBundleConfig
         */
        public function getConfig()
        {
            return $this->config ??= new (ConventionResolver::find(ConventionResolver::module($this), '%sConfig'))();
        }

        public function getResourceBuilder(): RestResourceBuilderInterface
        {
            return new RestResourceBuilder();
        }

        protected function getProvidedDependency($key)
        {
            if ($this->container === null) {
                $provider = ConventionResolver::find(ConventionResolver::module($this), '%sDependencyProvider');
                $this->container = (new $provider())->provideDependencies(new Container());
            }

            return $this->container->get($key);
        }
    }

    abstract class AbstractPlugin implements ModuleNameAwareInterface
    {
        protected ?AbstractFactory $factory = null;

        public function getModuleName(): string
        {
            return ConventionResolver::module($this);
        }

        protected function getFactory(): AbstractFactory
        {
            return $this->factory ??= new (ConventionResolver::find($this->getModuleName(), '%sFactory'))();
        }

        /**
         * @return \Spryker\Glue\Kernel\AbstractBundleConfig
         */
        public function getConfig()
        {
            return new (ConventionResolver::find($this->getModuleName(), '%sConfig'))();
        }
    }
}

namespace Spryker\Glue\Kernel\Controller {

    use Spryker\Glue\Kernel\ClassResolver\ConventionResolver;

    abstract class AbstractController
    {
        /**
         * @var \Spryker\Glue\Kernel\AbstractFactory
         */
        protected $factory;

        public function initialize()
        {
        }

        /**
         * @return \Spryker\Glue\Kernel\AbstractFactory
         */
        protected function getFactory()
        {
            return $this->factory ??= new (ConventionResolver::find(ConventionResolver::module($this), '%sFactory'))();
        }
    }

    class FormattedAbstractController extends AbstractController
    {
    }
}

namespace Spryker\Glue\GlueApplicationExtension\Dependency\Plugin {

    use Generated\Shared\Transfer\RestErrorMessageTransfer;
    use Spryker\Glue\Kernel\ModuleNameAwareInterface;
    use Symfony\Component\HttpFoundation\Request;

    interface ResourceRouteCollectionInterface
    {
        public function addGet(string $actionName, bool $isProtected = true, array $context = []);

        public function addPost(string $actionName, bool $isProtected = true, array $context = []);

        public function addDelete(string $actionName, bool $isProtected = true, array $context = []);

        public function addPatch(string $actionName, bool $isProtected = true, array $context = []);

        public function has(string $method): bool;

        public function get(string $method): array;

        public function getAvailableMethods(): array;
    }

    interface ResourceRoutePluginInterface extends ModuleNameAwareInterface
    {
        public function configure(ResourceRouteCollectionInterface $resourceRouteCollection): ResourceRouteCollectionInterface;

        public function getResourceType(): string;

        public function getController(): string;

        public function getResourceAttributesClassName(): string;
    }

    interface FormattedControllerBeforeActionPluginInterface
    {
        public function beforeAction(Request $request): ?RestErrorMessageTransfer;
    }

    interface TerminationAwareBeforeActionPluginInterface
    {
    }
}

namespace Spryker\Glue\GlueApplication\Rest {

    interface RequestConstantsInterface
    {
        public const ATTRIBUTE_TYPE = 'type';
        public const ATTRIBUTE_ID = 'id';
        public const ATTRIBUTE_RESOURCE_FQCN = 'resource-classname';
        public const ATTRIBUTE_ALL_RESOURCES = 'all-resources';
        public const ATTRIBUTE_CONTEXT = 'route-context';
        public const ATTRIBUTE_IS_PROTECTED = 'is-protected';
        public const HEADER_AUTHORIZATION = 'authorization';
    }
}

namespace Spryker\Glue\GlueApplication\Rest\Collection {

    use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRouteCollectionInterface;

    class ResourceRouteCollection implements ResourceRouteCollectionInterface
    {
        /** @var array<string, array{action: string, is_protected: bool, context: array}> */
        protected array $actions = [];

        public function addGet(string $actionName, bool $isProtected = true, array $context = [])
        {
            return $this->add('GET', $actionName, $isProtected, $context);
        }

        public function addPost(string $actionName, bool $isProtected = true, array $context = [])
        {
            return $this->add('POST', $actionName, $isProtected, $context);
        }

        public function addDelete(string $actionName, bool $isProtected = true, array $context = [])
        {
            return $this->add('DELETE', $actionName, $isProtected, $context);
        }

        public function addPatch(string $actionName, bool $isProtected = true, array $context = [])
        {
            return $this->add('PATCH', $actionName, $isProtected, $context);
        }

        public function has(string $method): bool
        {
            return isset($this->actions[$method]);
        }

        public function get(string $method): array
        {
            return $this->actions[$method];
        }

        public function getAvailableMethods(): array
        {
            return array_keys($this->actions);
        }

        protected function add(string $method, string $actionName, bool $isProtected, array $context): static
        {
            $this->actions[$method] = ['action' => $actionName, 'is_protected' => $isProtected, 'context' => $context];

            return $this;
        }
    }
}

namespace Spryker\Glue\GlueApplication\Rest\JsonApi {

    use Generated\Shared\Transfer\AbstractTransfer;
    use Generated\Shared\Transfer\RestErrorMessageTransfer;

    interface RestResourceInterface
    {
        public function getType(): string;

        public function getId(): ?string;

        public function getAttributes(): ?AbstractTransfer;
    }

    class RestResource implements RestResourceInterface
    {
        public function __construct(protected string $type, protected ?string $id = null, protected ?AbstractTransfer $attributes = null)
        {
        }

        public function getType(): string
        {
            return $this->type;
        }

        public function getId(): ?string
        {
            return $this->id;
        }

        public function getAttributes(): ?AbstractTransfer
        {
            return $this->attributes;
        }
    }

    interface RestResponseInterface
    {
        public const RESPONSE_ERRORS = 'errors';
        public const RESPONSE_DATA = 'data';

        public function addResource(RestResourceInterface $restResource): self;

        public function addError(RestErrorMessageTransfer $restErrorMessageTransfer): self;

        public function getResources(): array;

        public function getErrors(): array;

        public function setStatus(int $status): self;

        public function getStatus(): int;

        public function addHeader(string $key, string $value): self;

        public function getHeaders(): array;
    }

    class RestResponse implements RestResponseInterface
    {
        protected array $resources = [];

        protected array $errors = [];

        protected array $headers = [];

        protected int $status = 0;

        public function addResource(RestResourceInterface $restResource): RestResponseInterface
        {
            $this->resources[] = $restResource;

            return $this;
        }

        public function addError(RestErrorMessageTransfer $restErrorMessageTransfer): RestResponseInterface
        {
            $this->errors[] = $restErrorMessageTransfer;

            return $this;
        }

        public function getResources(): array
        {
            return $this->resources;
        }

        public function getErrors(): array
        {
            return $this->errors;
        }

        public function setStatus(int $status): RestResponseInterface
        {
            $this->status = $status;

            return $this;
        }

        public function getStatus(): int
        {
            return $this->status;
        }

        public function addHeader(string $key, string $value): RestResponseInterface
        {
            $this->headers[$key] = $value;

            return $this;
        }

        public function getHeaders(): array
        {
            return $this->headers;
        }
    }

    interface RestResourceBuilderInterface
    {
        public function createRestResource(string $type, ?string $id = null, ?AbstractTransfer $attributeTransfer = null): RestResourceInterface;

        public function createRestResponse(int $totalItems = 0, int $limit = 0): RestResponseInterface;
    }

    class RestResourceBuilder implements RestResourceBuilderInterface
    {
        public function createRestResource(string $type, ?string $id = null, ?AbstractTransfer $attributeTransfer = null): RestResourceInterface
        {
            return new RestResource($type, $id, $attributeTransfer);
        }

        public function createRestResponse(int $totalItems = 0, int $limit = 0): RestResponseInterface
        {
            return new RestResponse();
        }
    }
}

namespace Spryker\Glue\GlueApplication\Rest\Request\Data {

    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResourceInterface;
    use Symfony\Component\HttpFoundation\Request;

    interface RestRequestInterface
    {
        public function getResource(): RestResourceInterface;

        public function getHttpRequest(): Request;
    }

    class RestRequest implements RestRequestInterface
    {
        public function __construct(protected RestResourceInterface $resource, protected Request $httpRequest)
        {
        }

        public function getResource(): RestResourceInterface
        {
            return $this->resource;
        }

        public function getHttpRequest(): Request
        {
            return $this->httpRequest;
        }
    }
}

namespace Spryker\Glue\GlueApplication\Controller {

    use Generated\Shared\Transfer\RestErrorMessageTransfer;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResponse;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResponseInterface;
    use Spryker\Glue\Kernel\Controller\AbstractController;

    interface ErrorControllerInterface
    {
    }

    class ErrorRestController extends AbstractController implements ErrorControllerInterface
    {
        public function resourceNotFoundAction(): RestResponseInterface
        {
            return (new RestResponse())->addError((new RestErrorMessageTransfer())->setStatus(404)->setDetail('Not Found'));
        }
    }
}

namespace Spryker\Glue\GlueApplication\Rest {

    use Generated\Shared\Transfer\AbstractTransfer;
    use Spryker\Glue\AuthRestApi\Processor\AccessTokens\AccessTokenValidator;
    use Spryker\Glue\GlueApplication\Controller\ErrorRestController;
    use Spryker\Glue\GlueApplication\Rest\Collection\ResourceRouteCollection;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResource;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResponse;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResponseInterface;
    use Spryker\Glue\GlueApplication\Rest\Request\Data\RestRequest;
    use Spryker\Glue\GlueApplication\Rest\Request\Data\RestRequestInterface;
    use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\TerminationAwareBeforeActionPluginInterface;
    use Spryker\Glue\Kernel\ClassResolver\ConventionResolver;
    use Spryker\Glue\Kernel\Controller\AbstractController;
    use Spryker\Glue\Kernel\Controller\FormattedAbstractController;
    use Spryker\Shared\Log\LoggerTrait;
    use Symfony\Component\HttpFoundation\Request;
    use Symfony\Component\HttpFoundation\Response;

    interface ResourceRouterInterface
    {
        public function matchRequest(Request $httpRequest): array;
    }

    /**
     * The classic REST router: the path's last resource type picks the one
     * resource route plugin registered for it (two plugins for one type and
     * none is picked: 404, as Spryker without versions); the method picks
     * the action; the plugin's module and controller name the controller,
     * the project's before the core's.
     */
    class ResourceRouter implements ResourceRouterInterface
    {
        /**
         * @param array<\Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRoutePluginInterface> $resourceRoutePlugins
         */
        public function __construct(protected array $resourceRoutePlugins)
        {
        }

        public function matchRequest(Request $httpRequest): array
        {
            $parts = explode('/', trim($httpRequest->getPathInfo(), '/'));
            $resources = [];
            for ($i = 0; $i < count($parts); $i += 2) {
                $resources[] = [RequestConstantsInterface::ATTRIBUTE_TYPE => $parts[$i], RequestConstantsInterface::ATTRIBUTE_ID => $parts[$i + 1] ?? null];
            }
            $resource = $resources[count($resources) - 1];
            $plugins = array_values(array_filter(
                $this->resourceRoutePlugins,
                static fn ($plugin): bool => $plugin->getResourceType() === $resource[RequestConstantsInterface::ATTRIBUTE_TYPE],
            ));
            $method = $httpRequest->getMethod();
            $collection = count($plugins) === 1 ? $plugins[0]->configure(new ResourceRouteCollection()) : null;
            if ($collection === null || !$collection->has($method) || ($method === 'POST' && $resource[RequestConstantsInterface::ATTRIBUTE_ID] !== null)) {
                return ['_controller' => [new ErrorRestController(), 'resourceNotFoundAction']] + $resource;
            }
            $route = $collection->get($method);
            $controllerClass = ConventionResolver::find(
                $plugins[0]->getModuleName(),
                'Controller\\' . str_replace('-', '', ucwords($plugins[0]->getController(), '-')) . 'Controller',
            );
            $controller = new $controllerClass();
            $controller->initialize();

            return [
                '_controller' => [$controller, lcfirst(str_replace('-', '', ucwords($route['action'], '-'))) . 'Action'],
                RequestConstantsInterface::ATTRIBUTE_ALL_RESOURCES => $resources,
                RequestConstantsInterface::ATTRIBUTE_RESOURCE_FQCN => $plugins[0]->getResourceAttributesClassName(),
                RequestConstantsInterface::ATTRIBUTE_CONTEXT => $route['context'],
                RequestConstantsInterface::ATTRIBUTE_IS_PROTECTED => $route['is_protected'],
            ] + $resource;
        }
    }

    interface ControllerFilterInterface
    {
        public function filter(AbstractController $controller, string $action, Request $httpRequest): Response;
    }

    /**
     * Spryker's ControllerFilter: a FormattedAbstractController gets the
     * Symfony request after the formatted-controller before-action plugins
     * and its response goes out as it is; any other controller gets a
     * RestRequest after the REST request validators (here AuthRestApi's
     * access-token check) and its RestResponse is rendered as JSON:API.
     */
    class ControllerFilter implements ControllerFilterInterface
    {
        use LoggerTrait;

        /**
         * @param array<\Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\FormattedControllerBeforeActionPluginInterface> $formattedControllerBeforeActionPlugins
         */
        public function __construct(protected array $formattedControllerBeforeActionPlugins)
        {
        }

        public function filter(AbstractController $controller, string $action, Request $httpRequest): Response
        {
            try {
                if ($controller instanceof FormattedAbstractController) {
                    foreach ($this->formattedControllerBeforeActionPlugins as $plugin) {
                        $error = $plugin->beforeAction($httpRequest);
                        if ($error !== null && $plugin instanceof TerminationAwareBeforeActionPluginInterface) {
                            return new Response($error->getDetail(), $error->getStatus());
                        }
                    }

                    return $controller->$action($httpRequest);
                }
                $restRequest = $this->formatRequest($httpRequest);
                $error = $controller instanceof ErrorRestController ? null : (new AccessTokenValidator())->validate($httpRequest);
                if ($error !== null) {
                    $restResponse = (new RestResponse())->addError($error);
                } elseif ($controller instanceof ErrorRestController) {
                    $restResponse = $controller->$action();
                } else {
                    $restResponse = $controller->$action($restRequest, $restRequest->getResource()->getAttributes());
                }

                return $this->formatResponse($restResponse, $httpRequest);
            } catch (\Exception $exception) {
                $this->getLogger()->error($exception->getMessage(), ['trace' => $exception->getTraceAsString()]);

                return new Response(Response::$statusTexts[500], 500);
            }
        }

        protected function formatRequest(Request $httpRequest): RestRequestInterface
        {
            $attributes = null;
            $class = $httpRequest->attributes->get(RequestConstantsInterface::ATTRIBUTE_RESOURCE_FQCN);
            $data = json_decode($httpRequest->getContent(), true)['data']['attributes'] ?? null;
            if (is_array($data) && is_string($class) && class_exists($class)) {
                $snake = [];
                foreach ($data as $key => $value) {
                    $snake[strtolower((string) preg_replace('/[A-Z]/', '_$0', (string) $key))] = $value;
                }
                $attributes = (new $class())->fromArray($snake, true);
            }
            $id = $httpRequest->attributes->get(RequestConstantsInterface::ATTRIBUTE_ID);

            return new RestRequest(
                new RestResource((string) $httpRequest->attributes->get(RequestConstantsInterface::ATTRIBUTE_TYPE), $id === null ? null : (string) $id, $attributes),
                $httpRequest,
            );
        }

        protected function formatResponse(RestResponseInterface $restResponse, Request $httpRequest): Response
        {
            $headers = ['Content-Type' => 'application/vnd.api+json'] + $restResponse->getHeaders();
            if ($restResponse->getErrors() !== []) {
                $errors = array_map(static fn ($error): array => array_filter($error->toArray(), static fn ($v): bool => $v !== null), $restResponse->getErrors());

                return new Response(json_encode(['errors' => $errors]), end($errors)['status'] ?? 400, $headers);
            }
            $status = $restResponse->getStatus() ?: ['POST' => 201, 'DELETE' => 204][$httpRequest->getMethod()] ?? 200;
            if ($status === 204) {
                return new Response('', 204, $headers);
            }
            $data = array_map(static fn ($resource): array => [
                'type' => $resource->getType(),
                'id' => $resource->getId(),
                'attributes' => self::camelCase($resource->getAttributes()),
            ], $restResponse->getResources());
            $single = $httpRequest->getMethod() === 'POST' || $httpRequest->attributes->get(RequestConstantsInterface::ATTRIBUTE_ID) !== null;

            return new Response(json_encode(['data' => $single ? ($data[0] ?? null) : $data], JSON_UNESCAPED_SLASHES), $status, $headers);
        }

        protected static function camelCase(?AbstractTransfer $transfer): ?array
        {
            if ($transfer === null) {
                return null;
            }
            $array = [];
            foreach ($transfer->toArray() as $key => $value) {
                $array[lcfirst(str_replace('_', '', ucwords((string) $key, '_')))] = $value;
            }

            return $array;
        }
    }
}

namespace Spryker\Glue\GlueApplication {

    use Spryker\Glue\GlueApplication\Rest\ControllerFilter;
    use Spryker\Glue\GlueApplication\Rest\ControllerFilterInterface;
    use Spryker\Glue\GlueApplication\Rest\ResourceRouter;
    use Spryker\Glue\GlueApplication\Rest\ResourceRouterInterface;
    use Spryker\Glue\Kernel\AbstractBundleDependencyProvider;
    use Spryker\Glue\Kernel\AbstractFactory;
    use Spryker\Glue\Kernel\Container;

    class GlueApplicationDependencyProvider extends AbstractBundleDependencyProvider
    {
        public const PLUGIN_RESOURCE_ROUTES = 'PLUGIN_RESOURCE_ROUTES';
        public const PLUGIN_FORMATTED_CONTROLLER_BEFORE_ACTION = 'PLUGIN_FORMATTED_CONTROLLER_BEFORE_ACTION';

        public function provideDependencies(Container $container): Container
        {
            $container->set(static::PLUGIN_RESOURCE_ROUTES, fn (): array => $this->getResourceRoutePlugins());
            $container->set(static::PLUGIN_FORMATTED_CONTROLLER_BEFORE_ACTION, fn (): array => $this->getFormattedControllerBeforeActionTerminatePlugins());

            return $container;
        }

        /**
         * @return array<\Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRoutePluginInterface>
         */
        protected function getResourceRoutePlugins(): array
        {
            return [];
        }

        /**
         * @return array<\Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\FormattedControllerBeforeActionPluginInterface>
         */
        protected function getFormattedControllerBeforeActionTerminatePlugins(): array
        {
            return [];
        }
    }

    class GlueApplicationFactory extends AbstractFactory
    {
        public function createRestControllerFilter(): ControllerFilterInterface
        {
            return new ControllerFilter($this->getFormattedControllerBeforeActionPlugins());
        }

        public function createRestResourceRouter(): ResourceRouterInterface
        {
            return new ResourceRouter($this->getResourceRoutePlugins());
        }

        public function getResourceRoutePlugins(): array
        {
            return $this->getProvidedDependency(GlueApplicationDependencyProvider::PLUGIN_RESOURCE_ROUTES);
        }

        public function getFormattedControllerBeforeActionPlugins(): array
        {
            return $this->getProvidedDependency(GlueApplicationDependencyProvider::PLUGIN_FORMATTED_CONTROLLER_BEFORE_ACTION);
        }
    }
}

namespace Spryker\Glue\GlueApplication\Plugin\EventDispatcher {

    use Spryker\Glue\Kernel\AbstractPlugin;
    use Spryker\Glue\Kernel\Controller\AbstractController;
    use Symfony\Component\HttpFoundation\Request;
    use Symfony\Component\HttpFoundation\Response;

    /**
     * Wraps every resolved Glue controller in the ControllerFilter (the
     * kernel.controller listener is left out: the test calls filter()).
     *
     * @method \Spryker\Glue\GlueApplication\GlueApplicationFactory getFactory()
     */
    class GlueRestControllerListenerEventDispatcherPlugin extends AbstractPlugin
    {
        public function filter(AbstractController $controller, string $action, Request $request): Response
        {
            return $this->getFactory()->createRestControllerFilter()->filter($controller, $action, $request);
        }
    }
}

namespace Spryker\Glue\AuthRestApi {

    class AuthRestApiConfig
    {
        public const RESOURCE_REFRESH_TOKENS = 'refresh-tokens';
        public const RESPONSE_DETAIL_MISSING_ACCESS_TOKEN = 'Missing access token.';
        public const RESPONSE_DETAIL_INVALID_ACCESS_TOKEN = 'Invalid access token.';
        public const RESPONSE_CODE_ACCESS_CODE_INVALID = '001';
        public const RESPONSE_CODE_FORBIDDEN = '002';
        public const COLLECTION_IDENTIFIER_CURRENT_USER = 'mine';
        public const HEADER_AUTHORIZATION = 'authorization';
    }
}

namespace Spryker\Glue\AuthRestApi\Processor\AccessTokens {

    use Generated\Shared\Transfer\RestErrorMessageTransfer;
    use Spryker\Glue\AuthRestApi\AuthRestApiConfig;
    use Symfony\Component\HttpFoundation\Request;

    /**
     * AuthRestApi's access-token check: 403 without a token on a protected
     * route, 401 for a token Spryker's OAuth client refuses, which here is
     * league's check reduced to the RS256 signature by the shop's key and `exp`.
     */
    class AccessTokenValidator
    {
        /** The shop's OAuth public key (PEM); the test sets it. */
        public static string $publicKeyPem = '';

        public function validate(Request $request): ?RestErrorMessageTransfer
        {
            $isProtected = $request->attributes->get('is-protected', false);
            $authorizationToken = $request->headers->get(AuthRestApiConfig::HEADER_AUTHORIZATION);
            if (!$authorizationToken && $isProtected) {
                return (new RestErrorMessageTransfer())->setDetail(AuthRestApiConfig::RESPONSE_DETAIL_MISSING_ACCESS_TOKEN)
                    ->setStatus(403)->setCode(AuthRestApiConfig::RESPONSE_CODE_FORBIDDEN);
            }
            if (!$authorizationToken) {
                return null;
            }
            if (!$this->validateAccessToken($authorizationToken)) {
                return (new RestErrorMessageTransfer())->setDetail(AuthRestApiConfig::RESPONSE_DETAIL_INVALID_ACCESS_TOKEN)
                    ->setStatus(401)->setCode(AuthRestApiConfig::RESPONSE_CODE_ACCESS_CODE_INVALID);
            }

            return null;
        }

        protected function validateAccessToken(string $authorizationToken): bool
        {
            $token = preg_split('/\s+/', $authorizationToken)[1] ?? '';
            $parts = explode('.', $token);
            if (count($parts) !== 3) {
                return false;
            }
            $decode = static fn (string $part): string => (string) base64_decode(strtr($part, '-_', '+/'));
            $claims = json_decode($decode($parts[1]), true);

            return openssl_verify($parts[0] . '.' . $parts[1], $decode($parts[2]), self::$publicKeyPem, OPENSSL_ALGO_SHA256) === 1
                && is_array($claims) && ($claims['exp'] ?? 0) > time();
        }
    }
}

namespace Spryker\Glue\AuthRestApi\Plugin\GlueApplication {

    use Generated\Shared\Transfer\RestErrorMessageTransfer;
    use Spryker\Glue\AuthRestApi\Processor\AccessTokens\AccessTokenValidator;
    use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\FormattedControllerBeforeActionPluginInterface;
    use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\TerminationAwareBeforeActionPluginInterface;
    use Spryker\Glue\Kernel\AbstractPlugin;
    use Symfony\Component\HttpFoundation\Request;

    class FormattedControllerBeforeActionValidateAccessTokenPlugin extends AbstractPlugin implements FormattedControllerBeforeActionPluginInterface, TerminationAwareBeforeActionPluginInterface
    {
        public function beforeAction(Request $request): ?RestErrorMessageTransfer
        {
            return (new AccessTokenValidator())->validate($request);
        }
    }
}

namespace Spryker\Glue\AuthRestApi\Plugin {

    use Generated\Shared\Transfer\RestRefreshTokensAttributesTransfer;
    use Spryker\Glue\AuthRestApi\AuthRestApiConfig;
    use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRouteCollectionInterface;
    use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRoutePluginInterface;
    use Spryker\Glue\Kernel\AbstractPlugin;

    class RefreshTokensResourceRoutePlugin extends AbstractPlugin implements ResourceRoutePluginInterface
    {
        public function configure(ResourceRouteCollectionInterface $resourceRouteCollection): ResourceRouteCollectionInterface
        {
            $resourceRouteCollection->addPost('post', false);
            $resourceRouteCollection->addGet('get', false);
            $resourceRouteCollection->addDelete('delete', true);

            return $resourceRouteCollection;
        }

        public function getResourceType(): string
        {
            return AuthRestApiConfig::RESOURCE_REFRESH_TOKENS;
        }

        public function getController(): string
        {
            return 'refresh-tokens-resource';
        }

        public function getResourceAttributesClassName(): string
        {
            return RestRefreshTokensAttributesTransfer::class;
        }
    }
}

namespace Spryker\Glue\AuthRestApi\Controller {

    use Generated\Shared\Transfer\RestErrorMessageTransfer;
    use Generated\Shared\Transfer\RestRefreshTokensAttributesTransfer;
    use Generated\Shared\Transfer\RestTokenResponseAttributesTransfer;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResource;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResponse;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResponseInterface;
    use Spryker\Glue\GlueApplication\Rest\Request\Data\RestRequestInterface;
    use Spryker\Glue\Kernel\Controller\AbstractController;

    /**
     * Spryker's refresh tokens (league's store): refreshes the tokens it
     * issued (`def502...` here) and revokes by identifier or `mine`; every
     * call is recorded.
     */
    class RefreshTokensResourceController extends AbstractController
    {
        /** @var list<string> "METHOD token-or-id" */
        public static array $calls = [];

        public function postAction(
            RestRequestInterface $restRequest,
            RestRefreshTokensAttributesTransfer $restRefreshTokensAttributesTransfer
        ): RestResponseInterface {
            $token = (string) $restRefreshTokensAttributesTransfer->getRefreshToken();
            self::$calls[] = "POST $token";
            if (!str_starts_with($token, 'def502')) {
                return (new RestResponse())->addError((new RestErrorMessageTransfer())->setCode('004')->setStatus(401)->setDetail('Failed to refresh token.'));
            }

            return (new RestResponse())->addResource(new RestResource('refresh-tokens', null, (new RestTokenResponseAttributesTransfer())
                ->setTokenType('Bearer')->setExpiresIn(28800)->setAccessToken('spryker-access-token')->setRefreshToken('def502' . bin2hex(random_bytes(8)))));
        }

        public function getAction(RestRequestInterface $restRequest): RestResponseInterface
        {
            self::$calls[] = 'GET';

            return new RestResponse();
        }

        public function deleteAction(RestRequestInterface $restRequest): RestResponseInterface
        {
            self::$calls[] = 'DELETE ' . $restRequest->getResource()->getId();

            return (new RestResponse())->setStatus(204);
        }
    }
}

namespace Spryker\Glue\CartsRestApi\Plugin\ResourceRoute {

    use Generated\Shared\Transfer\RestCartsAttributesTransfer;
    use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRouteCollectionInterface;
    use Spryker\Glue\GlueApplicationExtension\Dependency\Plugin\ResourceRoutePluginInterface;
    use Spryker\Glue\Kernel\AbstractPlugin;

    class CartsResourceRoutePlugin extends AbstractPlugin implements ResourceRoutePluginInterface
    {
        public function configure(ResourceRouteCollectionInterface $resourceRouteCollection): ResourceRouteCollectionInterface
        {
            $resourceRouteCollection
                ->addGet('get')
                ->addPost('post')
                ->addDelete('delete')
                ->addPatch('patch');

            return $resourceRouteCollection;
        }

        public function getResourceType(): string
        {
            return 'carts';
        }

        public function getController(): string
        {
            return 'carts-resource';
        }

        public function getResourceAttributesClassName(): string
        {
            return RestCartsAttributesTransfer::class;
        }
    }
}

namespace Spryker\Glue\CartsRestApi\Controller {

    use Generated\Shared\Transfer\RestCartsAttributesTransfer;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResource;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResponse;
    use Spryker\Glue\GlueApplication\Rest\JsonApi\RestResponseInterface;
    use Spryker\Glue\GlueApplication\Rest\Request\Data\RestRequestInterface;
    use Spryker\Glue\Kernel\Controller\AbstractController;

    /** The customer's carts: one cart, whoever asks with a valid token. */
    class CartsResourceController extends AbstractController
    {
        public function getAction(RestRequestInterface $restRequest): RestResponseInterface
        {
            return (new RestResponse())->addResource(new RestResource('carts', 'c0ffee', (new RestCartsAttributesTransfer())->setName('Shopping cart')->setCurrency('EUR')));
        }
    }
}
