<?php

namespace Pyz\Glue\AgentOauth\Processor\RefreshTokens;

use AgentOauth\Engine;
use AgentOauth\Exception as AgentOauthException;
use Pyz\Glue\AgentOauth\AgentOauthConfig;
use Pyz\Glue\AgentOauth\Processor\Engine\EngineRequestForwarderInterface;
use Spryker\Glue\AuthRestApi\Controller\RefreshTokensResourceController as SprykerRefreshTokensResourceController;
use Spryker\Glue\GlueApplication\Plugin\EventDispatcher\GlueRestControllerListenerEventDispatcherPlugin;
use Spryker\Glue\GlueApplication\Rest\RequestConstantsInterface;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;
use Throwable;

/**
 * `/refresh-tokens` by the token's prefix (D6). Spryker's tokens are answered
 * by Spryker's own RefreshTokensResourceController, run through Glue's
 * ControllerFilter exactly as Spryker's route would run it (validation,
 * access-token check, rendering), and never build the engine: a customer
 * refreshes and logs out while the engine is down.
 */
class RefreshTokensRouter implements RefreshTokensRouterInterface
{
    public function __construct(
        protected EngineRequestForwarderInterface $engineRequestForwarder,
        protected GlueRestControllerListenerEventDispatcherPlugin $glueRestControllerListener,
        protected SprykerRefreshTokensResourceController $sprykerRefreshTokensResourceController,
        protected AgentOauthConfig $config,
    ) {
    }

    public function post(Request $httpRequest): Response
    {
        if ($this->isEngineRefreshToken($this->getRefreshTokenFromBody($httpRequest->getContent()))) {
            return $this->engineRequestForwarder->forward($httpRequest);
        }

        return $this->runSpryker($httpRequest, 'postAction');
    }

    public function get(Request $httpRequest): Response
    {
        return $this->runSpryker($httpRequest, 'getAction');
    }

    public function delete(Request $httpRequest): Response
    {
        $token = rawurldecode((string)$httpRequest->attributes->get(RequestConstantsInterface::ATTRIBUTE_ID, ''));
        if ($token === AgentOauthConfig::COLLECTION_IDENTIFIER_CURRENT_USER) {
            return $this->revokeMine($httpRequest);
        }

        return $this->isEngineRefreshToken($token)
            ? $this->engineRequestForwarder->forward($httpRequest)
            : $this->runSpryker($httpRequest, 'deleteAction');
    }

    /**
     * `mine` in both stores. The engine revokes an agent's sessions and the
     * impersonations it started, or an impersonation caller's; for other
     * callers it has nothing. Spryker's store is then asked only for a
     * customer's own token: its `mine` for a token without a customer
     * reference (an agent's) revokes every user's refresh tokens, and for an
     * impersonation token it would log the real customer out.
     */
    protected function revokeMine(Request $httpRequest): Response
    {
        $token = $this->getBearerToken($httpRequest);
        try {
            $engine = $this->engineRequestForwarder->getEngine();
        } catch (Throwable $throwable) {
            // The engine is down: its callers get the 500; a customer's own
            // (Spryker-issued) token still logs out in Spryker's store.
            $response = $this->engineRequestForwarder->createEngineUnavailableResponse($throwable);

            return $this->looksLikeSprykerCustomerToken($token) ? $this->runSpryker($httpRequest, 'deleteAction') : $response;
        }

        $engineResponse = $this->engineRequestForwarder->forward($httpRequest);
        if ($engineResponse->getStatusCode() !== Response::HTTP_NO_CONTENT) {
            return $engineResponse;
        }

        return $this->getTokenKind($engine, $token) === 'customer' ? $this->runSpryker($httpRequest, 'deleteAction') : $engineResponse;
    }

    protected function runSpryker(Request $httpRequest, string $action): Response
    {
        return $this->glueRestControllerListener->filter($this->sprykerRefreshTokensResourceController, $action, $httpRequest);
    }

    protected function getTokenKind(Engine $engine, ?string $token): ?string
    {
        if ($token === null) {
            return null;
        }
        try {
            return $engine->verify($token)['kind'];
        } catch (AgentOauthException $exception) {
            return null;
        }
    }

    /**
     * Without the engine, and without checking the signature (Spryker checks
     * it before it revokes anything): not the engine's token, no `act`, a
     * customer reference in `sub`, and not an agent's.
     */
    protected function looksLikeSprykerCustomerToken(?string $token): bool
    {
        if ($token === null || Engine::isEngineToken($token)) {
            return false;
        }
        $payload = explode('.', $token)[1] ?? '';
        $claims = json_decode((string)base64_decode(strtr($payload, '-_', '+/'), true), true);
        if (!is_array($claims) || isset($claims['act'])) {
            return false;
        }
        $subject = is_string($claims['sub'] ?? null) ? json_decode($claims['sub'], true) : null;
        if (!is_array($subject) || !is_string($subject['customer_reference'] ?? null) || $subject['customer_reference'] === '') {
            return false;
        }

        return ($subject['id_agent'] ?? null) === null;
    }

    protected function isEngineRefreshToken(?string $refreshToken): bool
    {
        return $refreshToken !== null && str_starts_with($refreshToken, AgentOauthConfig::REFRESH_TOKEN_PREFIX);
    }

    protected function getRefreshTokenFromBody(string $body): ?string
    {
        $token = json_decode($body, true)['data']['attributes']['refreshToken'] ?? null;

        return is_string($token) ? $token : null;
    }

    protected function getBearerToken(Request $httpRequest): ?string
    {
        $header = (string)$httpRequest->headers->get(RequestConstantsInterface::HEADER_AUTHORIZATION, '');

        return preg_match('/^\s*Bearer\s+(\S+)/', $header, $match) ? $match[1] : null;
    }
}
