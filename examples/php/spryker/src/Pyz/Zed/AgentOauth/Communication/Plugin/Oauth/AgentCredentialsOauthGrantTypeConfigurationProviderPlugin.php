<?php

namespace Pyz\Zed\AgentOauth\Communication\Plugin\Oauth;

use Generated\Shared\Transfer\OauthGrantTypeConfigurationTransfer;
use Spryker\Zed\Kernel\Communication\AbstractPlugin;
use Spryker\Zed\OauthExtension\Dependency\Plugin\OauthGrantTypeConfigurationProviderPluginInterface;

/**
 * The agent_credentials grant type. Its class is spryker/oauth-agent-connector's
 * Spryker\Zed\OauthAgentConnector\Business\League\Grant\AgentCredentialsGrantType,
 * which league instantiates for every agent login: that module must stay
 * installed, with its scope installer (the agent scope in spy_oauth_scope).
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
