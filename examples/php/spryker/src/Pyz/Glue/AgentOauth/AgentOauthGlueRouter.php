<?php

namespace Pyz\Glue\AgentOauth;

use AgentOauth\Engine;
use AgentOauth\Exception as AgentOauthException;
use Spryker\Client\Agent\AgentClientInterface;
use Spryker\Client\Customer\CustomerClientInterface;

/**
 * Handler mode (D1), in front of Spryker's Glue application: the agent
 * resources go to the engine, and /refresh-tokens is routed by the token's
 * prefix (D6) between the engine's store (ao1_...) and Spryker's own.
 * `DELETE /refresh-tokens/mine` asks both stores.
 */
class AgentOauthGlueRouter
{
    /** The prefix of the engine's refresh tokens (D6). */
    public const REFRESH_TOKEN_PREFIX = 'ao1_';

    protected const ENGINE_ROUTES = [
        'POST /agent-access-tokens',
        'POST /agent-customer-impersonation-access-tokens',
        'GET /agent-customer-search',
    ];

    public function __construct(protected Engine $engine)
    {
    }

    /**
     * The worker's shared engine (D20) with the shop's tables as directories.
     *
     * @param array<string, mixed> $engineConfiguration
     */
    public static function create(
        array $engineConfiguration,
        AgentClientInterface $agentClient,
        CustomerClientInterface $customerClient,
    ): static {
        $engine = Engine::shared($engineConfiguration);
        $directory = new ShopDirectory($agentClient, $customerClient);
        $engine->setAgentDirectory([$directory, 'findAgent']);
        $engine->setCustomerDirectory([$directory, 'findCustomer'], [$directory, 'searchCustomers']);

        return new static($engine);
    }

    /**
     * Answers a request, or passes it to Spryker.
     *
     * @param list<array{0: string, 1: string}> $headers the request's header pairs
     * @param callable(): (array{status: int, headers: list<array{0: string, 1: string}>, body: string}|null) $spryker
     *        runs Spryker's Glue application; null when it sent its answer itself
     *
     * @return array{status: int, headers: list<array{0: string, 1: string}>, body: string}|null
     */
    public function handle(
        string $method,
        string $path,
        string $query,
        array $headers,
        string $body,
        string $clientIp,
        callable $spryker,
    ): ?array {
        $method = strtoupper($method);
        $engine = fn (): array => $this->engine->handleGlueRequest($method, $path, $query, $headers, $body, $clientIp);

        if (in_array("$method $path", static::ENGINE_ROUTES, true)) {
            return $engine();
        }
        if ($method === 'POST' && $path === '/refresh-tokens') {
            return $this->isEngineToken($this->refreshTokenOf($body)) ? $engine() : $spryker();
        }
        if ($method === 'DELETE' && str_starts_with($path, '/refresh-tokens/')) {
            $token = rawurldecode(substr($path, strlen('/refresh-tokens/')));
            if ($token === 'mine') {
                return $this->revokeMine($engine(), $headers, $spryker);
            }

            return $this->isEngineToken($token) ? $engine() : $spryker();
        }

        return $spryker();
    }

    /**
     * `mine` in both stores. The engine revokes an agent's sessions and the
     * impersonations it started, or an impersonation caller's; for other
     * callers it has nothing. Spryker's store is then asked only for a
     * customer's own token: its `mine` for a token without a customer
     * reference (an agent's) revokes every user's refresh tokens, and for an
     * impersonation token it would log the real customer out.
     *
     * @param list<array{0: string, 1: string}> $headers
     */
    protected function revokeMine(array $engineAnswer, array $headers, callable $spryker): ?array
    {
        if ($engineAnswer['status'] !== 204) {
            return $engineAnswer;
        }
        $token = $this->bearerToken($headers);
        try {
            $kind = $token === null ? null : $this->engine->verify($token)['kind'];
        } catch (AgentOauthException $e) {
            $kind = null;
        }

        return $kind === 'customer' ? $spryker() : $engineAnswer;
    }

    protected function isEngineToken(?string $refreshToken): bool
    {
        return $refreshToken !== null && str_starts_with($refreshToken, static::REFRESH_TOKEN_PREFIX);
    }

    protected function refreshTokenOf(string $body): ?string
    {
        $token = json_decode($body, true)['data']['attributes']['refreshToken'] ?? null;

        return is_string($token) ? $token : null;
    }

    /**
     * @param list<array{0: string, 1: string}> $headers
     */
    protected function bearerToken(array $headers): ?string
    {
        foreach ($headers as [$name, $value]) {
            if (strcasecmp($name, 'Authorization') === 0 && preg_match('/^\s*Bearer\s+(\S+)/', $value, $match)) {
                return $match[1];
            }
        }

        return null;
    }
}
