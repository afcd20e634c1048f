<?php

namespace Pyz\Glue\AgentOauth;

use Pyz\Shared\AgentOauth\AgentOauthConstants;
use Spryker\Glue\Kernel\AbstractBundleConfig;

class AgentOauthConfig extends AbstractBundleConfig
{
    public const RESOURCE_AGENT_ACCESS_TOKENS = 'agent-access-tokens';

    public const RESOURCE_AGENT_CUSTOMER_IMPERSONATION_ACCESS_TOKENS = 'agent-customer-impersonation-access-tokens';

    public const RESOURCE_AGENT_CUSTOMER_SEARCH = 'agent-customer-search';

    public const RESOURCE_CUSTOMER_IMPERSONATION_CONSENTS = 'customer-impersonation-consents';

    public const RESOURCE_CUSTOMER_IMPERSONATION_SESSIONS = 'customer-impersonation-sessions';

    /** Shared with Spryker's AuthRestApi, routed by the token's prefix (D6). */
    public const RESOURCE_REFRESH_TOKENS = 'refresh-tokens';

    /** The prefix of the engine's refresh tokens (D6); Spryker's start with `def502`. */
    public const REFRESH_TOKEN_PREFIX = 'ao1_';

    /** `DELETE /refresh-tokens/mine`: the caller's own sessions, in both stores. */
    public const COLLECTION_IDENTIFIER_CURRENT_USER = 'mine';

    /**
     * The engine's configuration array (the core's schema, snake_case keys),
     * from `$config[AgentOauthConstants::ENGINE_CONFIGURATION]` in
     * config/Shared/config_default.php. Behind a load balancer it lists the
     * balancer's addresses in `trusted_proxies`.
     *
     * @return array<string, mixed>
     */
    public function getEngineConfiguration(): array
    {
        return (array)$this->get(AgentOauthConstants::ENGINE_CONFIGURATION, []);
    }

    /**
     * The resource types whose requests reach the engine (refresh-tokens
     * only with the engine's tokens): the engine checks their tokens itself.
     *
     * @return list<string>
     */
    public function getEngineResourceTypes(): array
    {
        return [
            static::RESOURCE_AGENT_ACCESS_TOKENS,
            static::RESOURCE_AGENT_CUSTOMER_IMPERSONATION_ACCESS_TOKENS,
            static::RESOURCE_AGENT_CUSTOMER_SEARCH,
            static::RESOURCE_CUSTOMER_IMPERSONATION_CONSENTS,
            static::RESOURCE_CUSTOMER_IMPERSONATION_SESSIONS,
            static::RESOURCE_REFRESH_TOKENS,
        ];
    }
}
