<?php

namespace Pyz\Zed\AgentOauth\Communication\Console;

use AgentOauth\Exception as AgentOauthException;
use Spryker\Zed\Kernel\Communication\Console\Console;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * `vendor/bin/console agent-oauth:purge-expired [--retention=SECONDS]`, the
 * engine's counterpart of oauth:refresh-token:remove-expired and of the
 * server's `purge-expired`: deletes the sessions (refresh-token families)
 * whose every token expired more than --retention seconds ago, the lockout
 * counters whose window and block have ended and the expired consent codes.
 * The audit log stays.
 *
 * @method \Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory getFactory()
 */
class AgentOauthPurgeExpiredConsole extends Console
{
    public const COMMAND_NAME = 'agent-oauth:purge-expired';
    public const DESCRIPTION = 'Deletes the agent-oauth sessions that expired, ended lockout counters and expired consent codes.';
    public const OPTION_RETENTION = 'retention';

    protected function configure(): void
    {
        $this->setName(static::COMMAND_NAME)
            ->setDescription(static::DESCRIPTION)
            ->addOption(static::OPTION_RETENTION, null, InputOption::VALUE_REQUIRED, 'Seconds to keep expired sessions', '0');
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $retention = (string) $input->getOption(static::OPTION_RETENTION);
        if (!ctype_digit($retention)) {
            $this->error(sprintf('--%s takes seconds (0 or more), not "%s".', static::OPTION_RETENTION, $retention));

            return static::CODE_ERROR;
        }

        try {
            $removed = $this->getFactory()->getEngine()->purgeExpired((int) $retention);
        } catch (AgentOauthException $exception) {
            $this->error('Purging failed: ' . $exception->getMessage());

            return static::CODE_ERROR;
        }

        $this->info(sprintf(
            'Removed %d refresh token(s) of sessions expired more than %d s ago, the ended lockout counters and the expired consent codes.',
            $removed,
            (int) $retention,
        ));

        return static::CODE_SUCCESS;
    }
}
