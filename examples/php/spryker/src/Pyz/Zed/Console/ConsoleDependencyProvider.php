<?php

namespace Pyz\Zed\Console;

use Pyz\Zed\AgentOauth\Communication\Console\AgentOauthAuditConsole;
use Pyz\Zed\AgentOauth\Communication\Console\AgentOauthKeysRotateConsole;
use Pyz\Zed\AgentOauth\Communication\Console\AgentOauthPurgeExpiredConsole;
use Spryker\Zed\Console\ConsoleDependencyProvider as SprykerConsoleDependencyProvider;
use Spryker\Zed\Kernel\Container;
use Spryker\Zed\Oauth\Communication\Console\OauthTokenConsole;

class ConsoleDependencyProvider extends SprykerConsoleDependencyProvider
{
    /**
     * @return array<\Symfony\Component\Console\Command\Command>
     */
    protected function getConsoleCommands(Container $container): array
    {
        $commands = [
            // ... the shop's commands stay in their places; among them Spryker's
            new OauthTokenConsole(), // oauth:refresh-token:remove-expired
            new AgentOauthPurgeExpiredConsole(), // agent-oauth:purge-expired
            new AgentOauthAuditConsole(), // agent-oauth:audit
            new AgentOauthKeysRotateConsole(), // agent-oauth:keys:rotate
        ];

        return $commands;
    }
}
