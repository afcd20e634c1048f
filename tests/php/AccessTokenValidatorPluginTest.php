<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\Engine;
use AgentOauth\InternalException;
use Generated\Shared\Transfer\OauthAccessTokenValidationRequestTransfer;
use Generated\Shared\Transfer\OauthAccessTokenValidationResponseTransfer;
use Pyz\Client\AgentOauth\Plugin\Oauth\AgentOauthAccessTokenValidatorPlugin;

require_once __DIR__ . '/Fixtures/spryker-example.php';

/**
 * The Client-layer validator plugin of examples/php/spryker/ (issue 12) on
 * stand-ins of Spryker's transfers: the engine's tokens get the strict
 * check on every Glue request, every other token passes untouched.
 */
final class AccessTokenValidatorPluginTest extends TestCase
{
    private Engine $engine;
    private int $enginesBuilt = 0;

    protected function setUp(): void
    {
        $this->engine = self::engine();
    }

    private function plugin(?\Closure $factory = null): AgentOauthAccessTokenValidatorPlugin
    {
        return new AgentOauthAccessTokenValidatorPlugin($factory ?? function (): Engine {
            $this->enginesBuilt++;
            return $this->engine;
        });
    }

    /** Runs the plugin as Glue does, on a response the stack starts valid. */
    private function validate(string $token, ?AgentOauthAccessTokenValidatorPlugin $plugin = null): OauthAccessTokenValidationResponseTransfer
    {
        $request = (new OauthAccessTokenValidationRequestTransfer())->setType('Bearer')->setAccessToken($token);
        $response = (new OauthAccessTokenValidationResponseTransfer())->setIsValid(true);
        $result = ($plugin ?? $this->plugin())->validate($request, $response);
        self::assertSame($response, $result, 'the stack passes one response along');
        return $result;
    }

    private static function assertRefused(OauthAccessTokenValidationResponseTransfer $response): void
    {
        self::assertFalse($response->getIsValid());
        self::assertSame(['error_type' => 'access_denied', 'message' => 'Access token has been revoked'], $response->getError()->toArray());
    }

    private static function assertPassed(OauthAccessTokenValidationResponseTransfer $response): void
    {
        self::assertTrue($response->getIsValid());
        self::assertNull($response->getError());
    }

    /** @return array{0: array, 1: array} agent and impersonation token responses */
    private function impersonation(): array
    {
        $agent = self::login($this->engine);
        return [$agent, $this->engine->impersonateCustomer($agent['access_token'], 'DE--5', 'ticket 42', IP)];
    }

    public function testAnImpersonationIsAcceptedUntilItsAgentIsBlocked(): void
    {
        [$agent, $imp] = $this->impersonation();
        self::assertPassed($this->validate($imp['access_token']));
        self::assertPassed($this->validate($agent['access_token']));
        $this->engine->setAgentStatus(1, 'blocked');
        self::assertRefused($this->validate($imp['access_token']));
        self::assertRefused($this->validate($agent['access_token']));
    }

    public function testRevokeMineEndsTheImpersonationOnEveryEndpoint(): void
    {
        [$agent, $imp] = $this->impersonation();
        self::assertPassed($this->validate($imp['access_token']));
        self::assertSame(2, $this->engine->revokeMine($agent['access_token'], IP));
        self::assertRefused($this->validate($imp['access_token']));
    }

    public function testRevokingTheFamilyEndsIt(): void
    {
        [$agent, $imp] = $this->impersonation();
        [, $other] = $this->impersonation();
        $this->engine->revoke($agent['access_token'], $imp['refresh_token'], IP);
        self::assertRefused($this->validate($imp['access_token']));
        self::assertPassed($this->validate($other['access_token']), 'another family lives on');
    }

    public function testASprykerCustomerTokenPassesUntouchedWithoutBuildingTheEngine(): void
    {
        $sub = '{"id_company_user":null,"id_agent":null,"customer_reference":"DE--5","id_customer":5,"permissions":null}';
        $header = self::base64url('{"typ":"JWT","alg":"RS256"}');
        $claims = self::base64url(json_encode(['aud' => 'frontend', 'jti' => str_repeat('ab', 40), 'iat' => time(),
            'nbf' => time(), 'exp' => time() + 28800, 'sub' => $sub, 'scopes' => ['customer']], JSON_THROW_ON_ERROR));
        self::assertTrue(openssl_sign("$header.$claims", $signature, file_get_contents(TEST_KEY), OPENSSL_ALGO_SHA256));
        $token = "$header.$claims." . self::base64url($signature);
        self::assertFalse(Engine::isEngineToken($token));

        $request = (new OauthAccessTokenValidationRequestTransfer())->setType('Bearer')->setAccessToken($token);
        $untouched = new OauthAccessTokenValidationResponseTransfer();
        $result = $this->plugin()->validate($request, $untouched);
        self::assertSame($untouched, $result);
        self::assertSame(['is_valid' => null, 'oauth_access_token_id' => null, 'oauth_client_id' => null,
            'oauth_user_id' => null, 'oauth_scopes' => null, 'error' => null], $result->toArray());
        self::assertSame(0, $this->enginesBuilt);
        // So does a Spryker agent token (plugin mode, D2): league signs without `kid`.
        $agentClaims = self::base64url(json_encode(['aud' => 'frontend', 'jti' => str_repeat('cd', 40), 'iat' => time(),
            'nbf' => time(), 'exp' => time() + 28800, 'sub' => '{"id_agent":1}', 'scopes' => ['agent']], JSON_THROW_ON_ERROR));
        self::assertTrue(openssl_sign("$header.$agentClaims", $signature, file_get_contents(TEST_KEY), OPENSSL_ALGO_SHA256));
        $sprykerAgent = "$header.$agentClaims." . self::base64url($signature);
        self::assertFalse(Engine::isEngineToken($sprykerAgent));
        self::assertPassed($this->validate($sprykerAgent));
        // So does garbage: league's own check refuses it afterwards.
        self::assertPassed($this->validate('not a token'));
        self::assertSame(0, $this->enginesBuilt);
    }

    public function testAForgedEngineLookingTokenIsRefused(): void
    {
        $forged = self::base64url('{"alg":"RS256","kid":"k"}') . '.' . self::base64url('{"act":{"sub":"x"},"sub":"{}"}') . '.c2ln';
        self::assertTrue(Engine::isEngineToken($forged));
        self::assertRefused($this->validate($forged));
    }

    public function testBytesThatAreNotUtf8OrNotAStringAreNotTheEngines(): void
    {
        self::assertFalse(Engine::isEngineToken("\xff\xfe.\xff.\xff"));
        self::assertFalse(Engine::isEngineToken(42));
        self::assertFalse(Engine::isEngineToken(null));
        self::assertPassed($this->validate("\xff\xfe"));
        self::assertSame(0, $this->enginesBuilt);
    }

    public function testWhenTheEngineCannotAnswerItsTokensAreRefused(): void
    {
        [, $imp] = $this->impersonation();
        $down = $this->plugin(static fn (): Engine => throw new InternalException('database unreachable'));
        self::assertRefused($this->validate($imp['access_token'], $down));
    }
}
