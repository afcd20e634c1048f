<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\Engine;

final class GlueHandlerTest extends TestCase
{
    private const BASE = 'https://glue.mysprykershop.com';
    private const JSON_API = ['Content-Type', 'application/vnd.api+json'];
    private const WWW_AUTHENTICATE = ['WWW-Authenticate', 'Bearer realm="Access to shop API"'];

    private static function glueEngine(): Engine
    {
        return self::engine(['glue_base_url' => self::BASE]);
    }

    private static function expectedTokenBody(string $type, string $path, array $tokens): string
    {
        return json_encode(['data' => [
            'type' => $type,
            'id' => null,
            'attributes' => [
                'tokenType' => 'Bearer',
                'expiresIn' => $tokens['expiresIn'],
                'accessToken' => $tokens['accessToken'],
                'refreshToken' => $tokens['refreshToken'],
            ],
            'links' => ['self' => self::BASE . $path],
        ]], JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
    }

    private static function glueLogin(Engine $engine, array $headers = []): array
    {
        return $engine->handleGlueRequest('POST', '/agent-access-tokens', '', $headers + ['Accept' => '*/*'],
            self::body('agent-access-tokens', ['username' => AGENT, 'password' => PASSWORD]), IP);
    }

    public function testLoginAnswers201WithTheTokenResource(): void
    {
        $engine = self::glueEngine();
        $response = self::glueLogin($engine);
        self::assertSame(['status', 'headers', 'body'], array_keys($response));
        self::assertSame(201, $response['status']);
        self::assertSame([self::JSON_API, ['Cache-Control', 'no-store']], $response['headers']);
        $tokens = json_decode($response['body'], true)['data']['attributes'];
        self::assertSame(28800, $tokens['expiresIn']);
        self::assertSame(self::expectedTokenBody('agent-access-tokens', '/agent-access-tokens', $tokens), $response['body']);
        self::assertSame('agent', $engine->verify($tokens['accessToken'], true)['kind']);
    }

    public function testImpersonationWithXAgentAuthorization(): void
    {
        $engine = self::glueEngine();
        $agent = json_decode(self::glueLogin($engine)['body'], true)['data']['attributes']['accessToken'];
        $path = '/agent-customer-impersonation-access-tokens';
        $response = $engine->handleGlueRequest('POST', $path, '',
            [['Content-Type', 'application/vnd.api+json'], ['X-Agent-Authorization', "Bearer $agent"]],
            self::body('agent-customer-impersonation-access-tokens', ['customerReference' => 'DE--5']), IP);
        self::assertSame(201, $response['status']);
        self::assertSame([self::JSON_API, ['Cache-Control', 'no-store']], $response['headers']);
        $tokens = json_decode($response['body'], true)['data']['attributes'];
        self::assertSame(self::expectedTokenBody('agent-customer-impersonation-access-tokens', $path, $tokens), $response['body']);
        $claims = $engine->verify($tokens['accessToken'], true);
        self::assertSame([CUSTOMER_SUB, ['sub' => AGENT_SUB]], [$claims['sub'], $claims['act']]);
    }

    public function testWrongPasswordAnswers4101(): void
    {
        $engine = self::glueEngine();
        $response = $engine->handleGlueRequest('POST', '/agent-access-tokens', '', [],
            self::body('agent-access-tokens', ['username' => AGENT, 'password' => 'wrong']), IP);
        self::assertSame([
            'status' => 401,
            'headers' => [self::JSON_API, self::WWW_AUTHENTICATE],
            'body' => '{"errors":[{"code":"4101","status":401,"detail":"Failed to authenticate an agent."}]}',
        ], $response);
    }

    public function testImpersonationWithoutAnAgentAnswers4103(): void
    {
        $response = self::glueEngine()->handleGlueRequest('POST', '/agent-customer-impersonation-access-tokens', '', [],
            self::body('agent-customer-impersonation-access-tokens', ['customerReference' => 'DE--5']), IP);
        self::assertSame([
            'status' => 401,
            'headers' => [self::JSON_API, self::WWW_AUTHENTICATE],
            'body' => '{"errors":[{"status":401,"code":"4103","detail":"Action is available to agent user only."}]}',
        ], $response);
    }

    public function testInvalidAgentHeaderAnswers4102AndUnknownCustomer4104(): void
    {
        $engine = self::glueEngine();
        $body = self::body('agent-customer-impersonation-access-tokens', ['customerReference' => 'DE--404']);
        $response = $engine->handleGlueRequest('POST', '/agent-customer-impersonation-access-tokens', '',
            ['X-Agent-Authorization' => 'Bearer forged'], $body, IP);
        self::assertSame(401, $response['status']);
        self::assertSame('{"errors":[{"detail":"Agent access token is invalid.","status":401,"code":"4102"}]}', $response['body']);

        $agent = json_decode(self::glueLogin($engine)['body'], true)['data']['attributes']['accessToken'];
        $response = $engine->handleGlueRequest('POST', '/agent-customer-impersonation-access-tokens', '',
            ['authorization' => "Bearer $agent"], $body, IP);
        self::assertSame(401, $response['status']);
        self::assertSame('{"errors":[{"code":"4104","status":401,"detail":"Failed to impersonate a customer."}]}', $response['body']);
    }

    public function testMalformedBodiesAndUnknownRoutes(): void
    {
        $engine = self::glueEngine();
        $post = fn (string $body): array => $engine->handleGlueRequest('POST', '/agent-access-tokens', '', [], $body, IP);
        self::assertSame([400, '{"errors":[{"detail":"Post data is invalid.","status":400}]}'],
            array_values(array_intersect_key($post("{\xff\x00"), ['status' => 0, 'body' => 0])));
        self::assertSame('{"errors":[{"detail":"Invalid type.","status":400}]}',
            $post(self::body('access-tokens', ['username' => AGENT]))['body']);
        $notFound = $engine->handleGlueRequest('GET', '/carts', '', [], '', IP);
        self::assertSame([404, '{"errors":[{"status":404,"detail":"Not Found"}]}'], [$notFound['status'], $notFound['body']]);
    }

    public function testRefreshTokensWithoutThePrefixAnswer004(): void
    {
        $engine = self::glueEngine();
        $response = $engine->handleGlueRequest('POST', '/refresh-tokens', '', [],
            self::body('refresh-tokens', ['refreshToken' => 'def50200d0f922e0c1e981add4']), IP);
        self::assertSame([401, '{"errors":[{"code":"004","status":401,"detail":"Failed to refresh token."}]}'],
            [$response['status'], $response['body']]);

        $refresh = json_decode(self::glueLogin($engine)['body'], true)['data']['attributes']['refreshToken'];
        $response = $engine->handleGlueRequest('POST', '/refresh-tokens', '', [],
            self::body('refresh-tokens', ['refreshToken' => $refresh]), IP);
        self::assertSame(201, $response['status']);
        self::assertSame('refresh-tokens', json_decode($response['body'], true)['data']['type']);
    }

    public function testRevocationAnswers204AndNeedsAToken(): void
    {
        $engine = self::glueEngine();
        $tokens = json_decode(self::glueLogin($engine)['body'], true)['data']['attributes'];
        $missing = $engine->handleGlueRequest('DELETE', '/refresh-tokens/mine', '', [], '', IP);
        self::assertSame([403, '{"errors":[{"detail":"Missing access token.","status":403,"code":"002"}]}'],
            [$missing['status'], $missing['body']]);
        $done = $engine->handleGlueRequest('DELETE', '/refresh-tokens/' . $tokens['refreshToken'], '',
            ['Authorization' => 'Bearer ' . $tokens['accessToken']], '', IP);
        self::assertSame(['status' => 204, 'headers' => [], 'body' => ''], $done);
    }

    public function testSearchIsForAgents(): void
    {
        $engine = self::glueEngine();
        $agent = json_decode(self::glueLogin($engine)['body'], true)['data']['attributes']['accessToken'];
        $response = $engine->handleGlueRequest('GET', '/agent-customer-search', 'q=de--5',
            ['Authorization' => ["Bearer $agent"]], '', IP);
        self::assertSame(200, $response['status']);
        $document = json_decode($response['body'], true);
        self::assertSame([['customerReference' => 'DE--5', 'email' => 'spencor.hopkin@spryker.com', 'firstName' => 'Spencor', 'lastName' => 'Hopkin']],
            $document['data'][0]['attributes']['customers']);
        self::assertSame(self::BASE . '/agent-customer-search?q=de--5', $document['links']['self']);
        $pagination = $engine->handleGlueRequest('GET', '/agent-customer-search', 'page[offset]=x&page[limit]=1', [], '', IP);
        self::assertSame([400, [['Content-Type', 'text/plain; charset=utf-8']], 'Pagination parameters are invalid.'],
            array_values($pagination));
    }
}
