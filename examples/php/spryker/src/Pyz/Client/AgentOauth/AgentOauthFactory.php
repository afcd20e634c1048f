<?php

namespace Pyz\Client\AgentOauth;

use Pyz\Client\AgentOauth\Zed\AgentOauthStub;
use Pyz\Client\AgentOauth\Zed\AgentOauthStubInterface;
use Spryker\Client\Kernel\AbstractFactory;
use Spryker\Client\ZedRequest\ZedRequestClientInterface;

class AgentOauthFactory extends AbstractFactory
{
    public function createZedStub(): AgentOauthStubInterface
    {
        return new AgentOauthStub($this->getZedRequestClient());
    }

    public function getZedRequestClient(): ZedRequestClientInterface
    {
        return $this->getProvidedDependency(AgentOauthDependencyProvider::CLIENT_ZED_REQUEST);
    }
}
