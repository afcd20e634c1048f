<?php

namespace Pyz\Glue\AgentOauth\Processor\Engine;

use AgentOauth\Engine;
use Closure;
use Spryker\Glue\GlueApplication\Rest\RequestConstantsInterface;
use Spryker\Shared\Log\LoggerTrait;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;
use Throwable;

/**
 * Hands a Glue request to the engine and the engine's answer, already
 * Spryker's JSON:API byte for byte, back to Glue unchanged.
 *
 * The client address is not resolved here: the engine takes the peer
 * (REMOTE_ADDR) and the X-Forwarded-For lines and believes them only from
 * its configured `trusted_proxies` (D29), as the lockout and the audit log
 * need the agent's address, not the load balancer's.
 */
class EngineRequestForwarder implements EngineRequestForwarderInterface
{
    use LoggerTrait;

    protected const CONTENT_TYPE_JSON_API = 'application/vnd.api+json';

    protected ?Engine $engine = null;

    /**
     * @param \Closure(): \AgentOauth\Engine $engineProvider builds the engine; called on first use only
     */
    public function __construct(protected Closure $engineProvider)
    {
    }

    public function forward(Request $httpRequest): Response
    {
        try {
            $answer = $this->getEngine()->handleGlueRequest(
                $httpRequest->getMethod(),
                $this->getResourcePath($httpRequest),
                (string)$httpRequest->server->get('QUERY_STRING', ''),
                $this->getHeaderLines($httpRequest),
                (string)$httpRequest->getContent(),
                (string)$httpRequest->server->get('REMOTE_ADDR', ''),
            );
        } catch (Throwable $throwable) {
            return $this->createEngineUnavailableResponse($throwable);
        }

        $response = new Response($answer['body'], $answer['status']);
        foreach ($answer['headers'] as [$name, $value]) {
            $response->headers->set($name, $value, false);
        }

        return $response;
    }

    public function getEngine(): Engine
    {
        return $this->engine ??= ($this->engineProvider)();
    }

    public function createEngineUnavailableResponse(Throwable $cause): Response
    {
        $this->getLogger()->error(
            sprintf('agent-oauth: the engine is unavailable: %s: %s', get_class($cause), $cause->getMessage()),
            ['exception' => $cause],
        );

        // As the engine's own 500: no detail of the cause.
        return new Response(
            (string)json_encode(['errors' => [['status' => 500, 'detail' => Response::$statusTexts[500]]]]),
            Response::HTTP_INTERNAL_SERVER_ERROR,
            ['Content-Type' => static::CONTENT_TYPE_JSON_API],
        );
    }

    /**
     * The resource's path as the engine routes it, without Glue's URL version
     * prefix: `/{type}`, or `/{type}/{id}` with the id as it came (raw).
     */
    protected function getResourcePath(Request $httpRequest): string
    {
        $path = '/' . $httpRequest->attributes->get(RequestConstantsInterface::ATTRIBUTE_TYPE);
        $id = $httpRequest->attributes->get(RequestConstantsInterface::ATTRIBUTE_ID);

        return $id === null ? $path : $path . '/' . $id;
    }

    /**
     * Every header line, repeated X-Forwarded-For lines included.
     *
     * @return list<array{0: string, 1: string}>
     */
    protected function getHeaderLines(Request $httpRequest): array
    {
        $lines = [];
        foreach ($httpRequest->headers->all() as $name => $values) {
            foreach ((array)$values as $value) {
                $lines[] = [(string)$name, (string)$value];
            }
        }

        return $lines;
    }
}
