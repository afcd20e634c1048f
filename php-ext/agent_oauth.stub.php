<?php

/**
 * Stubs of the agent_oauth_php extension, for IDEs and static analysis.
 * Never include this file at runtime: the extension declares these classes.
 *
 * Hand-written; php-ext/run-tests.sh fails when it differs from what the
 * extension exposes (tests/php/StubTest.php compares both with Reflection).
 *
 * Array shapes use snake_case keys: the core's configuration schema, Spryker
 * transfer toArray() keys, JWT claim names.
 *
 * @phpstan-type Config array{
 *     database_path?: string,
 *     private_key_pem?: string,
 *     private_key_path?: string,
 *     previous_public_keys_pem?: list<string>,
 *     previous_public_key_paths?: list<string>,
 *     client_id?: string,
 *     access_token_ttl?: int,
 *     refresh_token_ttl?: int|null,
 *     refresh_reuse_grace?: int,
 *     leeway?: int,
 *     argon2?: array{memory_kib?: int, iterations?: int, parallelism?: int},
 *     lockout?: array{max_failures?: int, window?: int, block?: int},
 *     pool_size?: int,
 *     busy_timeout_ms?: int,
 *     glue_base_url?: string,
 *     glue_max_body_bytes?: int,
 *     impersonation?: array{
 *         require_reason?: bool,
 *         reason_pattern?: string|null,
 *         max_active_sessions_per_agent?: int|null,
 *         max_starts_per_agent_per_hour?: int|null,
 *         max_session_seconds?: int|null,
 *         require_customer_consent?: bool,
 *         consent_ttl?: int,
 *         agent_display?: 'username'|'id'|'none',
 *     },
 * }
 * @phpstan-type TokenResponse array{token_type: 'Bearer', expires_in: int, access_token: string, refresh_token: string}
 * @phpstan-type Customer array{id_customer: int, customer_reference: string, email: string, first_name: string, last_name: string, id_company_user: string|null, permissions: array|null, is_active: bool}
 * @phpstan-type OauthUser array{is_success: bool, username: string|null, password: string|null, grant_type: string|null, client_id: string|null, client_name: string|null, user_identifier: string|null, customer_reference: string|null}
 */

namespace AgentOauth {

    /** The extension's version, equal to phpversion('agent_oauth_php'). */
    const VERSION = '0.1.0';

    /**
     * Base of every exception the extension throws. getCode() is the Glue
     * code as an integer (4101, 1 for "001"), 0 for internal errors.
     */
    class Exception extends \Exception
    {
        protected $glueCode = null;
        protected $httpStatus = 500;

        /** The Glue error code ("4101", "001", ...); null for internal errors. */
        public function getGlueCode(): ?string {}

        /** The HTTP status the Glue API answers this failure with. */
        public function getHttpStatus(): int {}
    }

    /** Agent login refused: unknown user, wrong password, inactive agent (Glue 4101, 401). */
    class AuthenticationFailedException extends Exception
    {
        protected $glueCode = '4101';
        protected $httpStatus = 401;
    }

    /**
     * An access token failed verification, or the strict check (Glue 001, 401).
     * The Glue handler's variants have their own codes: 4102 (X-Agent-Authorization)
     * and 002 (missing token, 403).
     */
    class InvalidAccessTokenException extends Exception
    {
        protected $glueCode = '001';
        protected $httpStatus = 401;
    }

    /** Only an agent may do this: a customer or impersonation token was given (Glue 4103, 401). */
    class AgentOnlyException extends Exception
    {
        protected $glueCode = '4103';
        protected $httpStatus = 401;
    }

    /**
     * Only the customer may do this: an agent or impersonation token was given
     * where the customer's own token is needed, for a consent code or the
     * customer's session list (Glue 4105, 403).
     */
    class CustomerOnlyException extends Exception
    {
        protected $glueCode = '4105';
        protected $httpStatus = 403;
    }

    /**
     * Impersonation refused: empty, unknown or inactive customer; a policy
     * rule, such as a missing, wrong, expired or spent consent code (Glue 4104, 401).
     */
    class ImpersonationFailedException extends Exception
    {
        protected $glueCode = '4104';
        protected $httpStatus = 401;
    }

    /** Too many failed logins from this IP for this username (Glue 4401, 429). */
    class TooManyAttemptsException extends Exception
    {
        protected $glueCode = '4401';
        protected $httpStatus = 429;
        protected $retryAfter = 0;

        /** Seconds until the block ends (the Retry-After header). */
        public function getRetryAfter(): int {}
    }

    /**
     * Too many password verifications running or waiting: the login was not
     * admitted within the engine's bounds (password_pool) and nothing was
     * counted or hashed. Answer 503 with `Retry-After: 1` (no Glue code).
     */
    class OverloadedException extends Exception
    {
        protected $glueCode = null;
        protected $httpStatus = 503;
    }

    /** Refresh refused: unknown, expired, revoked, reused or foreign refresh token (Glue 004, 401). */
    class RefreshFailedException extends Exception
    {
        protected $glueCode = '004';
        protected $httpStatus = 401;
    }

    /** A value of the wrong shape: empty username, unknown status, reason too long (Glue 901, 422). */
    class InvalidRequestException extends Exception
    {
        protected $glueCode = '901';
        protected $httpStatus = 422;
    }

    /** The configuration is unusable: unknown key, wrong type, unreadable or weak key (500). */
    class ConfigurationException extends Exception
    {
        protected $glueCode = null;
        protected $httpStatus = 500;
    }

    /** The engine failed: database, random source, signing (500). */
    class InternalException extends Exception
    {
        protected $glueCode = null;
        protected $httpStatus = 500;
    }

    /**
     * A host directory callable threw (its exception is getPrevious()) or
     * returned something else than null or a record of the D19 shape (500).
     * Never a failed login, never counted toward lockout.
     */
    class DirectoryException extends InternalException
    {
        protected $glueCode = null;
        protected $httpStatus = 500;
    }

    /**
     * The agent-assist OAuth engine: agent login, customer impersonation,
     * refresh, revocation, verification, the Glue handler and administration.
     *
     * Directory callables (setAgentDirectory(), setCustomerDirectory()) belong
     * to this object. A callable that captures this object keeps both alive
     * until the request ends; clearDirectories() breaks the cycle.
     */
    final class Engine
    {
        /**
         * A private engine: opens the database and parses the key now.
         *
         * @param Config $config the core's configuration schema, snake_case keys,
         *                       durations in seconds; unknown keys are refused
         * @throws ConfigurationException
         * @throws InternalException when the database cannot be opened
         */
        public function __construct(array $config) {}

        /**
         * An engine on the Rust engine (database connections, parsed key)
         * this process keeps for an equal configuration, built on first use.
         * Callables are not shared: the returned object has none.
         *
         * @param Config $config
         * @throws ConfigurationException
         * @throws InternalException
         */
        public static function shared(array $config): Engine {}

        /**
         * @return array{pid: int, shared_engines: int, engines_built: int}
         */
        public static function processInfo(): array {}

        /**
         * Whether the token looks like one the engine issued (a header `kid`,
         * and `act` or `sub.id_agent` set), read without cryptography or an
         * engine; false for anything else, bytes that are not UTF-8 included.
         */
        public static function isEngineToken(mixed $token): bool {}

        /** Identifies the Rust engine behind this object; equal for shared engines. */
        public function instanceId(): int {}

        /**
         * Agents come from the host (D19) instead of the engine's database.
         *
         * @param callable(string $username): (array{id: int, username: string, password_hash: string, status: 'active'|'blocked'|'deleted'}|null) $findByUsername
         */
        public function setAgentDirectory(callable $findByUsername): void {}

        /**
         * Customers come from the host (D19) instead of the engine's database.
         * Without $search, searchCustomers() and the Glue search throw DirectoryException.
         *
         * @param callable(string $customerReference): (Customer|null) $findByReference
         * @param (callable(string $q, int $offset, int $limit): array{customers: list<Customer>, total: int})|null $search
         */
        public function setCustomerDirectory(callable $findByReference, ?callable $search = null): void {}

        /** Forgets the callables: the engine's database answers again. */
        public function clearDirectories(): void {}

        /**
         * Agent login (agent_credentials).
         *
         * @return TokenResponse
         * @throws AuthenticationFailedException
         * @throws TooManyAttemptsException
         * @throws DirectoryException
         * @throws InternalException
         */
        public function agentLogin(string $username, string $password, string $clientIp): array {}

        /**
         * Customer impersonation (customer_impersonation) with an agent access
         * token; the reason goes to the audit log. The token expires with the
         * agent's and carries act.
         *
         * With `impersonation.require_customer_consent`, $consentCode is the
         * 6-digit code the customer created with their own token
         * (POST /customer-impersonation-consents). A code works once, for its
         * customer only, until `impersonation.consent_ttl`; a missing, wrong,
         * expired or spent code is ImpersonationFailedException, and
         * `lockout.max_failures` (9) wrong codes block this agent for this
         * customer for `lockout.block` (360) seconds.
         * Without the rule the code is ignored.
         *
         * @return TokenResponse
         * @throws InvalidAccessTokenException
         * @throws AgentOnlyException
         * @throws ImpersonationFailedException
         * @throws InvalidRequestException when the reason is longer than 1024 bytes
         * @throws DirectoryException
         * @throws InternalException
         */
        public function impersonateCustomer(string $agentToken, string $customerReference, ?string $reason, string $clientIp, ?string $consentCode = null): array {}

        /**
         * Exchanges a refresh token (ao1_...) for a new pair; the presented token is spent.
         *
         * @return TokenResponse
         * @throws RefreshFailedException
         * @throws DirectoryException
         * @throws InternalException
         */
        public function refresh(string $refreshToken, string $clientIp): array {}

        /**
         * Revokes the session (family) of a refresh token if the caller may
         * (its own, or an impersonation it started). Otherwise nothing happens.
         *
         * @return int sessions revoked
         * @throws InvalidAccessTokenException
         * @throws InternalException
         */
        public function revoke(string $callerToken, string $refreshToken, string $clientIp): int {}

        /**
         * Revokes the caller's sessions (DELETE /refresh-tokens/mine).
         *
         * @return int sessions revoked
         * @throws InvalidAccessTokenException
         * @throws InternalException
         */
        public function revokeMine(string $callerToken, string $clientIp): int {}

        /**
         * @return int sessions revoked: the agent's and the impersonations it started
         * @throws InternalException
         */
        public function revokeAllForAgent(int $agentId): int {}

        /**
         * @return int impersonation sessions of the customer revoked
         * @throws InternalException
         */
        public function revokeAllForCustomer(string $customerReference): int {}

        /**
         * Verifies an access token (signature, time, audience); $strict also
         * requires a live session of an active agent.
         *
         * @return array{aud: string, jti: string, iat: int, nbf: int, exp: int, sub: string, scopes: list<string>, act: array{sub: string}|null, kind: 'agent'|'impersonation'|'customer', agent_id: int|null}
         * @throws InvalidAccessTokenException
         * @throws DirectoryException
         * @throws InternalException
         */
        public function verify(string $token, bool $strict = false): array {}

        /**
         * RFC 7662 introspection of an access or refresh token. The caller
         * authenticates with an agent Bearer token or a client's Basic credentials.
         *
         * @return array{active: bool, scope?: string, client_id?: string, token_type?: string, exp?: int, iat?: int, nbf?: int, sub?: string, aud?: string, jti?: string, act?: array{sub: string}}
         * @throws InvalidAccessTokenException
         * @throws InternalException
         */
        public function introspect(?string $authorization, string $token): array {}

        /**
         * Spryker's agent customer search: prefix of e-mail, first or last
         * name, or equal reference, case-insensitive. $offset and $limit
         * count only together; the limit is clamped to 1..100 and the offset
         * rounded down to a page.
         *
         * @return array{customers: list<Customer>, total: int, offset: int, limit: int}
         * @throws InvalidRequestException for a negative offset or limit
         * @throws DirectoryException
         * @throws InternalException
         */
        public function searchCustomers(?string $q = null, ?int $offset = null, ?int $limit = null): array {}

        /**
         * Answers one Glue request as Spryker's Glue API would; failures are
         * answers, not exceptions. POST /customer-impersonation-consents and
         * GET /customer-impersonation-sessions take the customer's own Bearer
         * token; an agent or impersonation token is 403 with code 4105.
         *
         * @param string $query the raw query string, without "?"
         * @param array<int, array{0: string, 1: string}>|array<string, string|list<string>> $headers
         *        [name, value] pairs, or name => value
         * @param string $body the raw body (binary-safe)
         * @return array{status: int, headers: list<array{0: string, 1: string}>, body: string}
         * @throws \TypeError when $headers has another shape
         */
        public function handleGlueRequest(string $method, string $path, string $query, array $headers, string $body, string $clientIp): array {}

        /** @return array{keys: list<array<string, string>>} the public keys as a JWKS */
        public function jwks(): array {}

        /** The signing key's public half (BEGIN PUBLIC KEY), for openssl_verify(). */
        public function publicKeyPem(): string {}

        /** The key id of the token header (RFC 7638 thumbprint). */
        public function kid(): string {}

        /**
         * Adds an agent to the engine's database (password hashed with argon2id).
         *
         * @param 'active'|'blocked'|'deleted' $status
         * @return int the agent id
         * @throws InvalidRequestException
         * @throws InternalException
         */
        public function addAgent(string $username, string $password, string $status = 'active', ?int $id = null): int {}

        /**
         * Imports an agent of spy_user with its existing (bcrypt) hash and id.
         *
         * @param 'active'|'blocked'|'deleted' $status
         * @throws InvalidRequestException
         * @throws InternalException
         */
        public function importAgent(int $id, string $username, string $passwordHash, string $status = 'active'): int {}

        /**
         * Blocking or deleting an agent revokes its sessions and impersonations.
         *
         * @param 'active'|'blocked'|'deleted' $status
         * @return bool false when there is no such agent
         * @throws InvalidRequestException
         * @throws InternalException
         */
        public function setAgentStatus(int $agentId, string $status): bool {}

        /**
         * @return bool false when there is no such agent
         * @throws InvalidRequestException
         * @throws InternalException
         */
        public function setAgentPassword(int $agentId, string $password): bool {}

        /**
         * Adds or replaces (by id_customer) a customer in the engine's database.
         *
         * @param Customer $customer
         * @throws InvalidRequestException
         * @throws InternalException
         */
        public function upsertCustomer(array $customer): void {}

        /**
         * @return Customer|null from the customer directory
         * @throws DirectoryException
         * @throws InternalException
         */
        public function findCustomer(string $customerReference): ?array {}

        /**
         * Installs the scopes agent, customer and customer_impersonation where missing.
         *
         * @return list<string> the identifiers added
         * @throws InternalException
         */
        public function installScopes(): array {}

        /**
         * @return list<string> the installed scope identifiers
         * @throws InternalException
         */
        public function scopes(): array {}

        /** @throws InternalException */
        public function installDefaultClient(): void {}

        /**
         * Adds or replaces a confidential client (for token introspection).
         *
         * @throws InvalidRequestException
         * @throws InternalException
         */
        public function setClientSecret(string $identifier, string $name, string $secret): void {}

        /** @throws InternalException */
        public function authenticateClient(string $identifier, string $secret): bool {}

        /**
         * Audit events, oldest first.
         *
         * @param array{agent_id?: int, customer_reference?: string, from?: int, to?: int, limit?: int}|null $filter
         * @return list<array{id: int, at: int, kind: string, agent_id: int|null, agent_username: string|null, customer_reference: string|null, client_ip: string|null, jti: string|null, reason: string|null, code: string|null, policy: string|null}>
         * @throws InvalidRequestException for an unknown filter key
         * @throws \TypeError for a filter value of the wrong type
         * @throws InternalException
         */
        public function auditEvents(?array $filter = null): array {}

        /**
         * Deletes sessions whose every token expired more than $retentionSeconds ago.
         *
         * @return int rows deleted
         * @throws InvalidRequestException
         * @throws InternalException
         */
        public function purgeExpired(int $retentionSeconds): int {}
    }

    /**
     * Plugin mode (D2): Spryker's AgentOauthUserProviderPlugin. Checks agent
     * credentials without lockout; league/oauth2-server issues the token.
     */
    final class AgentOauthUserProvider
    {
        public function __construct(Engine $engine) {}

        /** @param array{grant_type?: string|null} $oauthUser OauthUserTransfer::toArray() */
        public function accept(array $oauthUser): bool {}

        /**
         * @param array{username?: string|null, password?: string|null} $oauthUser OauthUserTransfer::toArray()
         * @return OauthUser with is_success and user_identifier (the sub JSON string)
         * @throws DirectoryException
         * @throws InternalException
         */
        public function getUser(array $oauthUser): array {}
    }

    /** Plugin mode (D2): Spryker's AgentOauthScopeProviderPlugin. */
    final class AgentOauthScopeProvider
    {
        public function __construct() {}

        /** @param array{grant_type?: string|null} $oauthScopeRequest OauthScopeRequestTransfer::toArray() */
        public function accept(array $oauthScopeRequest): bool {}

        /**
         * @param array{default_scopes?: list<array>|null} $oauthScopeRequest
         * @return list<array{identifier: string}> default_scopes, then [['identifier' => 'agent']]
         */
        public function getScopes(array $oauthScopeRequest): array {}
    }

    /** Plugin mode (D2): Spryker's AgentCredentialsOauthGrantTypeConfigurationProviderPlugin. */
    final class AgentCredentialsOauthGrantTypeConfigurationProvider
    {
        public function __construct() {}

        /** @return array{identifier: 'agent_credentials', fully_qualified_class_name: string, builder_fully_qualified_class_name: null} */
        public function getGrantTypeConfiguration(): array {}
    }

    /** Spryker's AgentOauthScopeInstallerPlugin, for the engine's database. */
    final class AgentOauthScopeInstaller
    {
        public function __construct(Engine $engine) {}

        /**
         * @return list<string> the scope identifiers added (idempotent)
         * @throws InternalException
         */
        public function install(): array {}
    }

    /** Plugin mode (D2): Spryker's CustomerImpersonationOauthUserProviderPlugin. */
    final class CustomerImpersonationOauthUserProvider
    {
        public function __construct(Engine $engine) {}

        /** @param array{grant_type?: string|null} $oauthUser */
        public function accept(array $oauthUser): bool {}

        /**
         * @param array{customer_reference?: string|null} $oauthUser
         * @return OauthUser with is_success and user_identifier (the customer's sub JSON string)
         * @throws DirectoryException
         * @throws InternalException
         */
        public function getUser(array $oauthUser): array {}
    }

    /** Plugin mode (D2): Spryker's CustomerImpersonationOauthScopeProviderPlugin. */
    final class CustomerImpersonationOauthScopeProvider
    {
        public function __construct() {}

        /** @param array{grant_type?: string|null} $oauthScopeRequest */
        public function accept(array $oauthScopeRequest): bool {}

        /** @return list<array{identifier: string}> default_scopes, then customer_impersonation and customer */
        public function getScopes(array $oauthScopeRequest): array {}
    }
}
