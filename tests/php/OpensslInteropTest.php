<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

/** Tokens are plain RS256 JWTs: PHP's own openssl verifies them, and the engine verifies PHP's (D1). */
final class OpensslInteropTest extends TestCase
{
    public function testAnAgentTokenVerifiesWithOpensslAgainstTheExportedKey(): void
    {
        $engine = self::engine();
        [$header, $claims, $input, $signature] = self::jwt(self::login($engine)['access_token']);

        self::assertSame(['typ' => 'JWT', 'alg' => 'RS256', 'kid' => $engine->kid()], $header);
        self::assertSame(['aud', 'jti', 'iat', 'nbf', 'exp', 'sub', 'scopes'], array_keys($claims));
        self::assertSame(['frontend', AGENT_SUB, ['agent']], [$claims['aud'], $claims['sub'], $claims['scopes']]);
        self::assertSame(28800, $claims['exp'] - $claims['iat']);

        $publicKey = openssl_pkey_get_public($engine->publicKeyPem());
        self::assertNotFalse($publicKey);
        self::assertSame(1, openssl_verify($input, $signature, $publicKey, OPENSSL_ALGO_SHA256));
        self::assertSame(0, openssl_verify($input . 'x', $signature, $publicKey, OPENSSL_ALGO_SHA256));
    }

    public function testAnImpersonationTokenCarriesActLast(): void
    {
        $engine = self::engine();
        $agent = self::login($engine)['access_token'];
        [, $claims, $input, $signature] = self::jwt($engine->impersonateCustomer($agent, 'DE--5', null, IP)['access_token']);

        self::assertSame(['aud', 'jti', 'iat', 'nbf', 'exp', 'sub', 'scopes', 'act'], array_keys($claims));
        self::assertSame([CUSTOMER_SUB, ['customer_impersonation', 'customer'], ['sub' => AGENT_SUB]],
            [$claims['sub'], $claims['scopes'], $claims['act']]);
        self::assertSame(1, openssl_verify($input, $signature, $engine->publicKeyPem(), OPENSSL_ALGO_SHA256));
    }

    public function testTheExportedKeyIsTheShopsPublicKey(): void
    {
        $normalize = static fn (string $pem): string => trim(str_replace("\r\n", "\n", $pem));
        self::assertSame($normalize((string) file_get_contents(TEST_PUBLIC_KEY)), $normalize(self::engine()->publicKeyPem()));
    }

    public function testATokenSignedByPhpVerifiesInTheEngineAsACustomerToken(): void
    {
        // What Spryker's league issues with the same key: no kid, float times.
        $now = time();
        $claims = [
            'aud' => 'frontend',
            'jti' => bin2hex(random_bytes(40)),
            'iat' => $now + 0.25,
            'nbf' => $now + 0.25,
            'exp' => $now + 28800.25,
            'sub' => CUSTOMER_SUB,
            'scopes' => ['customer'],
        ];
        $input = self::base64url('{"typ":"JWT","alg":"RS256"}') . '.' . self::base64url(json_encode($claims, JSON_THROW_ON_ERROR));
        self::assertTrue(openssl_sign($input, $signature, (string) file_get_contents(TEST_KEY), OPENSSL_ALGO_SHA256));

        $verified = self::engine()->verify($input . '.' . self::base64url($signature));
        self::assertSame(['customer', null, CUSTOMER_SUB], [$verified['kind'], $verified['agent_id'], $verified['sub']]);
    }
}
