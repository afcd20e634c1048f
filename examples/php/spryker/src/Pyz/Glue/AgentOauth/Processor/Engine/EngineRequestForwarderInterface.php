<?php

namespace Pyz\Glue\AgentOauth\Processor\Engine;

use AgentOauth\Engine;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;

interface EngineRequestForwarderInterface
{
    /**
     * Specification:
     * - Builds the engine if this request is its first use.
     * - Passes the request to `Engine::handleGlueRequest()`: the method, the
     *   resource's path (`/{type}` or `/{type}/{id}`), the raw query, every
     *   header line, the raw body and the peer address (REMOTE_ADDR).
     * - Answers with the engine's status, headers and body, unchanged.
     * - When the engine cannot be built or fails, logs the cause and answers
     *   500 with a JSON:API error that does not name it.
     */
    public function forward(Request $httpRequest): Response;

    /**
     * Specification:
     * - Returns the engine, building it on first use.
     *
     * @throws \Throwable when it cannot be built
     */
    public function getEngine(): Engine;

    /**
     * Specification:
     * - Logs why the engine is unavailable and returns the 500 answer.
     */
    public function createEngineUnavailableResponse(\Throwable $cause): Response;
}
