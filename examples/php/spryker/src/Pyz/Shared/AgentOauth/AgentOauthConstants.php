<?php

namespace Pyz\Shared\AgentOauth;

/**
 * Configuration keys of the agent-oauth engine, set in config/Shared/config_default.php:
 *
 *     $config[AgentOauthConstants::ENGINE_CONFIGURATION] = [
 *         'database_path' => APPLICATION_ROOT_DIR . '/data/agent-oauth.db',
 *         // The shop's own OAuth key pair signs (D1): every Glue endpoint accepts the tokens.
 *         // Spryker's value as it is (D31): the PEM contents the docker SDK passes in
 *         // SPRYKER_OAUTH_KEY_PRIVATE (with __LINE__ for newlines), a path, or a file:// path.
 *         'private_key_path' => $config[OauthConstants::PRIVATE_KEY_PATH],
 *         'client_id' => 'frontend',
 *         'glue_base_url' => 'https://glue.mysprykershop.com',
 *     ];
 */
interface AgentOauthConstants
{
    /** The engine's configuration array: the core's schema, snake_case keys (D10). */
    public const ENGINE_CONFIGURATION = 'AGENT_OAUTH:ENGINE_CONFIGURATION';
}
