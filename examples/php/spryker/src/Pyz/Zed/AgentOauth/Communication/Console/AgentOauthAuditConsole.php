<?php

namespace Pyz\Zed\AgentOauth\Communication\Console;

use AgentOauth\Exception as AgentOauthException;
use DateTimeImmutable;
use DateTimeInterface;
use Spryker\Zed\Kernel\Communication\Console\Console;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * `vendor/bin/console agent-oauth:audit [--agent=ID] [--customer=REFERENCE]
 * [--from=TIME] [--to=TIME] [--limit=N] [--json]`: the engine's audit
 * events, oldest first, as the server's `audit` shows them. TIME is Unix
 * seconds or RFC 3339 (2026-05-04T10:00:00Z); --from includes, --to excludes.
 * One line per event, or one JSON object per line with --json (the keys of
 * Engine::auditEvents()). Values from requests are written raw, never read
 * as console styles.
 *
 * @method \Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory getFactory()
 */
class AgentOauthAuditConsole extends Console
{
    public const COMMAND_NAME = 'agent-oauth:audit';
    public const DESCRIPTION = 'Shows the agent-oauth audit events, oldest first.';

    public const OPTION_AGENT = 'agent';
    public const OPTION_CUSTOMER = 'customer';
    public const OPTION_FROM = 'from';
    public const OPTION_TO = 'to';
    public const OPTION_LIMIT = 'limit';
    public const OPTION_JSON = 'json';

    /** The engine's default: at most this many events. */
    protected const DEFAULT_LIMIT = '1000';

    protected function configure(): void
    {
        $this->setName(static::COMMAND_NAME)
            ->setDescription(static::DESCRIPTION)
            ->addOption(static::OPTION_AGENT, null, InputOption::VALUE_REQUIRED, 'Only this agent id (spy_user.id_user)')
            ->addOption(static::OPTION_CUSTOMER, null, InputOption::VALUE_REQUIRED, 'Only this customer reference')
            ->addOption(static::OPTION_FROM, null, InputOption::VALUE_REQUIRED, 'From this time on (Unix seconds or RFC 3339)')
            ->addOption(static::OPTION_TO, null, InputOption::VALUE_REQUIRED, 'Before this time (Unix seconds or RFC 3339)')
            ->addOption(static::OPTION_LIMIT, null, InputOption::VALUE_REQUIRED, 'At most this many events', static::DEFAULT_LIMIT)
            ->addOption(static::OPTION_JSON, null, InputOption::VALUE_NONE, 'One JSON object per line');
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        try {
            $filter = $this->filter($input);
        } catch (\InvalidArgumentException $exception) {
            $this->error($exception->getMessage());

            return static::CODE_ERROR;
        }

        try {
            $events = $this->getFactory()->getEngine()->auditEvents($filter);
        } catch (AgentOauthException $exception) {
            $this->error('Reading the audit log failed: ' . $exception->getMessage());

            return static::CODE_ERROR;
        }

        foreach ($events as $event) {
            $line = $input->getOption(static::OPTION_JSON)
                ? json_encode($event, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR)
                : $this->formatLine($event);
            $output->writeln($line, OutputInterface::OUTPUT_RAW);
        }
        if ($events === [] && !$input->getOption(static::OPTION_JSON)) {
            $output->writeln('No audit events.');
        }

        return static::CODE_SUCCESS;
    }

    /**
     * @return array{agent_id?: int, customer_reference?: string, from?: int, to?: int, limit: int}
     * @throws \InvalidArgumentException for a value of the wrong shape
     */
    protected function filter(InputInterface $input): array
    {
        $filter = [];
        $agent = $input->getOption(static::OPTION_AGENT);
        if ($agent !== null) {
            $filter['agent_id'] = $this->positiveInteger(static::OPTION_AGENT, (string) $agent);
        }
        $customer = $input->getOption(static::OPTION_CUSTOMER);
        if ($customer !== null) {
            $filter['customer_reference'] = (string) $customer;
        }
        foreach ([static::OPTION_FROM => 'from', static::OPTION_TO => 'to'] as $option => $key) {
            $time = $input->getOption($option);
            if ($time !== null) {
                $filter[$key] = $this->time($option, (string) $time);
            }
        }
        $filter['limit'] = $this->positiveInteger(static::OPTION_LIMIT, (string) $input->getOption(static::OPTION_LIMIT));

        return $filter;
    }

    protected function positiveInteger(string $option, string $value): int
    {
        if (!ctype_digit($value) || (int) $value < 1 || (string) (int) $value !== ltrim($value, '0')) {
            throw new \InvalidArgumentException(sprintf('--%s takes a positive integer, not "%s".', $option, $value));
        }

        return (int) $value;
    }

    protected function time(string $option, string $value): int
    {
        if (preg_match('/^-?\d{1,18}$/', $value) === 1) {
            return (int) $value;
        }
        foreach ([DateTimeInterface::RFC3339, DateTimeInterface::RFC3339_EXTENDED] as $format) {
            $time = DateTimeImmutable::createFromFormat($format, $value);
            if ($time !== false && DateTimeImmutable::getLastErrors() === false) {
                return $time->getTimestamp();
            }
        }

        throw new \InvalidArgumentException(sprintf('--%s takes Unix seconds or an RFC 3339 time, not "%s".', $option, $value));
    }

    /**
     * `    12 2026-05-04T10:00:00Z impersonation_started  agent=1 username=admin@spryker.com customer=DE--5 ip=127.0.0.1 reason="ticket 4711" jti=...`:
     * the id, the time (UTC), the kind, then the fields that are set. The
     * reason is always quoted (JSON), other values when they hold spaces,
     * quotes, `=` or control characters.
     *
     * @param array<string, mixed> $event
     */
    protected function formatLine(array $event): string
    {
        $line = sprintf('%6d %s %-22s', $event['id'], gmdate('Y-m-d\TH:i:s\Z', $event['at']), $event['kind']);
        $fields = [
            'agent' => $event['agent_id'],
            'username' => $event['agent_username'],
            'customer' => $event['customer_reference'],
            'ip' => $event['client_ip'],
            'code' => $event['code'],
            'policy' => $event['policy'],
            'reason' => $event['reason'],
            'jti' => $event['jti'],
        ];
        foreach ($fields as $name => $value) {
            if ($value === null) {
                continue;
            }
            $value = (string) $value;
            $quote = $name === 'reason' || preg_match('/^[^\s"=\\\\\x00-\x1f\x7f]+$/u', $value) !== 1;
            $line .= ' ' . $name . '=' . ($quote ? json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) : $value);
        }

        return $line;
    }
}
