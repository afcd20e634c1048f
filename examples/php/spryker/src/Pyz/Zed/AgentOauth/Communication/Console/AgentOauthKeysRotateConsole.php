<?php

namespace Pyz\Zed\AgentOauth\Communication\Console;

use AgentOauth\Exception as AgentOauthException;
use RuntimeException;
use Spryker\Zed\Kernel\Communication\Console\Console;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * `vendor/bin/console agent-oauth:keys:rotate [--directory=DIR]`: a new RSA
 * 2048 signing key pair for the shop, written for the shop to deploy
 * (see SigningKeyRotator); nothing that runs changes. Prints the key ids
 * and the files, never key material, then what the shop must do.
 * DIR defaults to AgentOauthConstants::KEY_ROTATION_DIRECTORY.
 *
 * @method \Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory getFactory()
 */
class AgentOauthKeysRotateConsole extends Console
{
    public const COMMAND_NAME = 'agent-oauth:keys:rotate';
    public const DESCRIPTION = 'Writes a new OAuth signing key pair to deploy; the current public key keeps verifying as a previous key.';
    public const OPTION_DIRECTORY = 'directory';

    protected function configure(): void
    {
        $this->setName(static::COMMAND_NAME)
            ->setDescription(static::DESCRIPTION)
            ->addOption(static::OPTION_DIRECTORY, null, InputOption::VALUE_REQUIRED, 'Where to write the keys (default: AgentOauthConstants::KEY_ROTATION_DIRECTORY)');
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $directory = $input->getOption(static::OPTION_DIRECTORY) ?? $this->getFactory()->getKeyRotationDirectory();
        if ($directory === null || $directory === '') {
            $this->error('No key directory: pass --directory or set AgentOauthConstants::KEY_ROTATION_DIRECTORY.');

            return static::CODE_ERROR;
        }

        try {
            $rotation = $this->getFactory()->createSigningKeyRotator()->rotate($directory, time());
        } catch (RuntimeException | AgentOauthException $exception) {
            $this->error('The key was not rotated: ' . $exception->getMessage());

            return static::CODE_ERROR;
        }

        $ttl = $this->getFactory()->getAccessTokenTtl();
        $this->info(sprintf('Signing key %s -> %s (not deployed yet: the shop still signs with %s).', $rotation['old_kid'], $rotation['new_kid'], $rotation['old_kid']));
        $output->writeln([
            sprintf('New private key (mode 0600): %s', $rotation['private_key']),
            sprintf('New public key: %s', $rotation['public_key']),
            sprintf('Previous public key: %s', $rotation['previous_public_key']),
            'Next:',
            '  1. Deploy the new pair as the shop\'s OAuth keys: private.pem as SPRYKER_OAUTH_KEY_PRIVATE, public.pem as',
            '     SPRYKER_OAUTH_KEY_PUBLIC (or to the files OauthConstants::PRIVATE_KEY_PATH and PUBLIC_KEY_PATH name),',
            '     and the previous public key in the engine\'s previous_public_key_paths. Then delete private.pem here,',
            '     unless the shop reads its key from this directory.',
            '  2. Reload PHP-FPM: the workers keep the parsed key (D20).',
            sprintf('  3. %d s after the deploy, delete the previous public key: every token it signed has expired.', $ttl),
        ], OutputInterface::OUTPUT_RAW);

        return static::CODE_SUCCESS;
    }
}
