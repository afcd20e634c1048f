<?php

namespace Pyz\Shared\AgentOauth;

/**
 * Configuration keys of the agent-oauth engine, set in config/Shared/config_default.php:
 *
 *     $config[AgentOauthConstants::KEY_ROTATION_DIRECTORY] = APPLICATION_ROOT_DIR . '/data/agent-oauth/keys';
 *     $config[AgentOauthConstants::ENGINE_CONFIGURATION] = [
 *         'database_path' => APPLICATION_ROOT_DIR . '/data/agent-oauth.db',
 *         // The shop's own OAuth key pair signs (D1): every Glue endpoint accepts the tokens.
 *         // Spryker's value as it is (D31): the PEM contents the docker SDK passes in
 *         // SPRYKER_OAUTH_KEY_PRIVATE (with __LINE__ for newlines), a path, or a file:// path.
 *         'private_key_path' => $config[OauthConstants::PRIVATE_KEY_PATH],
 *         // The public keys `console agent-oauth:keys:rotate` retired: tokens
 *         // they signed keep verifying until the shop deletes the files.
 *         'previous_public_key_paths' => glob($config[AgentOauthConstants::KEY_ROTATION_DIRECTORY] . '/previous/*.pem') ?: [],
 *         'client_id' => 'frontend',
 *         'glue_base_url' => 'https://glue.mysprykershop.com',
 *     ];
 */
interface AgentOauthConstants
{
    /** The engine's configuration array: the core's schema, snake_case keys (D10). */
    public const ENGINE_CONFIGURATION = 'AGENT_OAUTH:ENGINE_CONFIGURATION';

    /**
     * Where `console agent-oauth:keys:rotate` writes the new key pair
     * (private.pem with mode 0600, public.pem) and keeps the retired public
     * keys (previous/<rotated-at>-<kid>.pem). Outside the document root.
     */
    public const KEY_ROTATION_DIRECTORY = 'AGENT_OAUTH:KEY_ROTATION_DIRECTORY';
}
