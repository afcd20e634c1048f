<?php

/**
 * Excerpt of the shop's config/Zed/cronjobs/jenkins.php: the engine's
 * clean-up beside Spryker's. Add the AgentOauth block to the shop's file;
 * the Oauth block is already there in the demo shops. (Shops from before
 * Dynamic Store add `'stores' => $allStores,` to each job, as their other
 * jobs have it; the engine's store is not per store.)
 */

/* Oauth */
$jobs[] = [
    'name' => 'remove-expired-refresh-tokens',
    'command' => '$PHP_BIN vendor/bin/console oauth:refresh-token:remove-expired',
    'schedule' => '*/5 * * * *',
    'enable' => true,
];

/* AgentOauth: ended sessions stay 90 days, so customers still see who acted
   on their account (GET /customer-impersonation-sessions). */
$jobs[] = [
    'name' => 'agent-oauth-purge-expired',
    'command' => '$PHP_BIN vendor/bin/console agent-oauth:purge-expired --retention=7776000',
    'schedule' => '0 * * * *',
    'enable' => true,
];
