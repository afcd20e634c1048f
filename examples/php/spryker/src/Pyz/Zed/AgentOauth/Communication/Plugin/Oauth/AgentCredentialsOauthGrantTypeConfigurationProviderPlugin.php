<?php

namespace Pyz\Zed\AgentOauth\Communication\Plugin\Oauth;

use Generated\Shared\Transfer\OauthGrantTypeConfigurationTransfer;
use Spryker\Zed\Kernel\Communication\AbstractPlugin;
use Spryker\Zed\OauthExtension\Dependency\Plugin\OauthGrantTypeConfigurationProviderPluginInterface;

/**
 * The agent_credentials grant type.
 *
 * @method \Pyz\Zed\AgentOauth\Communication\AgentOauthCommunicationFactory getFactory()
 */
class AgentCredentialsOauthGrantTypeConfigurationProviderPlugin extends AbstractPlugin implements OauthGrantTypeConfigurationProviderPluginInterface
{
    public function getGrantTypeConfiguration(): OauthGrantTypeConfigurationTransfer
    {
        $configuration = $this->getFactory()->createAgentCredentialsGrantTypeConfigurationProvider()->getGrantTypeConfiguration();

        return (new OauthGrantTypeConfigurationTransfer())->fromArray($configuration, true);
    }
}
