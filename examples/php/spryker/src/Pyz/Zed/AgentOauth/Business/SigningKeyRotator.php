<?php

namespace Pyz\Zed\AgentOauth\Business;

use AgentOauth\Engine;
use RuntimeException;

/**
 * Prepares a new signing key pair for the shop (agent-oauth:keys:rotate).
 *
 * The engine signs with the shop's OAuth key pair (D1), which league and
 * Spryker's Glue use too, and which a shop keeps in its deployment
 * (SPRYKER_OAUTH_KEY_PRIVATE / SPRYKER_OAUTH_KEY_PUBLIC, or the files
 * OauthConstants::PRIVATE_KEY_PATH / PUBLIC_KEY_PATH name). So the rotation
 * changes nothing that runs: it writes files for the shop to deploy, in this
 * order, each file complete before it gets its name:
 *
 * 1. previous/<rotated-at>-<old kid>.pem: the public key signing now, for
 *    the engine's `previous_public_key_paths`, so tokens it signed keep
 *    verifying after the deploy (kept once per key: running the rotation
 *    again before the deploy adds nothing here);
 * 2. public.pem: the new public key (0644);
 * 3. private.pem: the new RSA 2048 private key, PKCS#8 PEM, mode 0600 from
 *    its creation, never printed.
 *
 * The new pair is checked by the engine itself (it refuses weak or
 * malformed keys) before anything is written. A directory that holds a
 * private.pem already is refused: a pair from an earlier rotation waits to
 * be deployed, or the shop reads its running key from there, and writing
 * over it would change the key league and the engine use at once.
 */
class SigningKeyRotator
{
    protected const KEY_BITS = 2048;

    public function __construct(
        protected Engine $engine,
    ) {
    }

    /**
     * @return array{old_kid: string, new_kid: string, private_key: string, public_key: string, previous_public_key: string}
     *         the key ids and the paths written (previous_public_key: the retired key's file, new or kept)
     * @throws \RuntimeException when no key can be made or a file cannot be written
     * @throws \AgentOauth\Exception when the engine refuses the new key
     */
    public function rotate(string $directory, int $now): array
    {
        $directory = rtrim($directory, '/');
        if (file_exists("$directory/private.pem")) {
            throw new RuntimeException("$directory/private.pem exists: deploy that pair and delete it first");
        }
        $oldKid = $this->engine->kid();
        // The engine writes PEM lines with CRLF; files get the usual LF.
        $oldPublicKey = str_replace("\r\n", "\n", $this->engine->publicKeyPem());

        [$privateKey, $publicKey] = $this->generateKeyPair();
        // The engine's own key id (RFC 7638), and its checks of the key.
        $newKid = (new Engine(['database_path' => ':memory:', 'private_key_pem' => $privateKey]))->kid();

        $this->makeDirectory($directory);
        $this->makeDirectory("$directory/previous");
        $previousPublicKey = $this->findPreviousPublicKey("$directory/previous", $oldKid);
        if ($previousPublicKey === null) {
            $previousPublicKey = "$directory/previous/$now-$oldKid.pem";
            $this->writeFile($previousPublicKey, $oldPublicKey, 0644);
        }
        $this->writeFile("$directory/public.pem", $publicKey, 0644);
        $this->writeFile("$directory/private.pem", $privateKey, 0600);

        return [
            'old_kid' => $oldKid,
            'new_kid' => $newKid,
            'private_key' => "$directory/private.pem",
            'public_key' => "$directory/public.pem",
            'previous_public_key' => $previousPublicKey,
        ];
    }

    /**
     * @return array{0: string, 1: string} the private key (PKCS#8 PEM) and its public key (SPKI PEM)
     */
    protected function generateKeyPair(): array
    {
        $key = openssl_pkey_new(['private_key_type' => OPENSSL_KEYTYPE_RSA, 'private_key_bits' => static::KEY_BITS]);
        if ($key === false || !openssl_pkey_export($key, $privateKey)) {
            throw new RuntimeException('OpenSSL could not generate an RSA key: ' . (openssl_error_string() ?: 'no reason given'));
        }
        $details = openssl_pkey_get_details($key);
        if ($details === false || ($details['bits'] ?? 0) !== static::KEY_BITS) {
            throw new RuntimeException('OpenSSL generated no RSA ' . static::KEY_BITS . ' key');
        }

        return [$privateKey, $details['key']];
    }

    /** The file an earlier rotation kept for this key id, if any. */
    protected function findPreviousPublicKey(string $directory, string $kid): ?string
    {
        foreach (scandir($directory) ?: [] as $file) {
            if (str_ends_with($file, "-$kid.pem")) {
                return "$directory/$file";
            }
        }

        return null;
    }

    protected function makeDirectory(string $directory): void
    {
        if (!is_dir($directory) && !@mkdir($directory, 0755, true) && !is_dir($directory)) {
            throw new RuntimeException("Cannot create the directory $directory");
        }
    }

    /**
     * Writes a temporary file in the same directory (tempnam() creates it
     * with mode 0600, before any content), sets the mode, then renames it
     * over the target: readers see the old file or the new one, never a part.
     */
    protected function writeFile(string $path, string $contents, int $mode): void
    {
        $temporary = @tempnam(dirname($path), '.agent-oauth-');
        if ($temporary === false || dirname($temporary) !== dirname($path)) {
            if ($temporary !== false) {
                @unlink($temporary);
            }
            throw new RuntimeException('Cannot write in ' . dirname($path));
        }
        if (@file_put_contents($temporary, $contents) !== strlen($contents) || !@chmod($temporary, $mode) || !@rename($temporary, $path)) {
            @unlink($temporary);
            throw new RuntimeException("Cannot write $path");
        }
    }
}
