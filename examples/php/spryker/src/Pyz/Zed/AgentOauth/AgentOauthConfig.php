<?php

namespace Pyz\Zed\AgentOauth;

use Pyz\Shared\AgentOauth\AgentOauthConstants;
use Spryker\Zed\Kernel\AbstractBundleConfig;

class AgentOauthConfig extends AbstractBundleConfig
{
    /**
     * @return array<string, mixed> the engine's configuration (D10)
     */
    public function getEngineConfiguration(): array
    {
        return $this->get(AgentOauthConstants::ENGINE_CONFIGURATION);
    }
}
