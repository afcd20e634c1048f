<?php

namespace Pyz\Glue\AgentOauth\Processor\RefreshTokens;

use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;

interface RefreshTokensRouterInterface
{
    /**
     * Specification:
     * - `POST /refresh-tokens`: a refresh token starting with `ao1_` goes to
     *   the engine, any other to Spryker's AuthRestApi (D6).
     */
    public function post(Request $httpRequest): Response;

    /**
     * Specification:
     * - `GET /refresh-tokens`: Spryker's AuthRestApi, as before.
     */
    public function get(Request $httpRequest): Response;

    /**
     * Specification:
     * - `DELETE /refresh-tokens/{token}`: an `ao1_` token to the engine, any
     *   other to Spryker's AuthRestApi.
     * - `DELETE /refresh-tokens/mine`: the engine first; Spryker's store too
     *   when the caller is a customer with their own token.
     */
    public function delete(Request $httpRequest): Response;
}
