<?php

namespace Pyz\Zed\AgentOauth;

use Pyz\Shared\AgentOauth\AgentOauthConstants;
use Spryker\Zed\Kernel\AbstractBundleConfig;

class AgentOauthConfig extends AbstractBundleConfig
{
    /** The engine's default access_token_ttl (Spryker's PT8H). */
    protected const DEFAULT_ACCESS_TOKEN_TTL = 28800;

    /**
     * @return array<string, mixed> the engine's configuration (D10)
     */
    public function getEngineConfiguration(): array
    {
        return $this->get(AgentOauthConstants::ENGINE_CONFIGURATION);
    }

    /** Seconds an access token lives: how long a retired signing key must keep verifying. */
    public function getAccessTokenTtl(): int
    {
        return (int) ($this->getEngineConfiguration()['access_token_ttl'] ?? static::DEFAULT_ACCESS_TOKEN_TTL);
    }

    /** Where agent-oauth:keys:rotate writes; null when the shop set none. */
    public function getKeyRotationDirectory(): ?string
    {
        // Spryker's Config::get() throws for an unset key without a default.
        $directory = $this->get(AgentOauthConstants::KEY_ROTATION_DIRECTORY, '');

        return $directory === '' ? null : $directory;
    }
}
