<?php

declare(strict_types=1);

namespace AgentOauth\Tests;

use AgentOauth\ConfigurationException;
use AgentOauth\Engine;

/**
 * The shop's key as Spryker holds it (issue 13, D31): what
 * `Config::get(OauthConstants::PRIVATE_KEY_PATH)` returns in a shop (a path,
 * a `file://` path, or the PEM contents, with `__LINE__` from the docker
 * SDK) goes straight into `private_key_path`.
 */
final class KeyFormsTest extends TestCase
{
    public function testEveryFormSprykerUsesGivesTheSameKey(): void
    {
        $pem = (string) file_get_contents(TEST_KEY);
        $lined = str_replace("\n", '__LINE__', rtrim($pem));
        $expected = (new Engine(self::config()))->kid();
        foreach ([
            'file:// path' => ['private_key_path' => 'file://' . TEST_KEY],
            'contents under the path key' => ['private_key_path' => $pem],
            '__LINE__ contents under the path key' => ['private_key_path' => $lined],
            '__LINE__ contents as private_key_pem' => ['private_key_path' => null, 'private_key_pem' => $lined],
        ] as $form => $keys) {
            $config = array_filter(self::config($keys), static fn ($v): bool => $v !== null);
            self::assertSame($expected, (new Engine($config))->kid(), $form);
        }
    }

    public function testAMangledValueIsAConfigurationErrorThatDoesNotEchoIt(): void
    {
        $body = explode("\n", (string) file_get_contents(TEST_KEY))[1];
        try {
            new Engine(self::config(['private_key_path' => $body . '__LINE__']));
            self::fail('a value that is neither contents nor a path must be refused');
        } catch (ConfigurationException $e) {
            self::assertStringContainsString('neither PEM contents nor a readable path', $e->getMessage());
            self::assertStringNotContainsString(substr($body, 0, 20), $e->getMessage());
        }
    }
}
