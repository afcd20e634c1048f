<?php

namespace Pyz\Zed\AgentOauth\Communication;

use AgentOauth\AgentCredentialsOauthGrantTypeConfigurationProvider;
use AgentOauth\AgentOauthScopeInstaller;
use AgentOauth\AgentOauthScopeProvider;
use AgentOauth\AgentOauthUserProvider;
use AgentOauth\CustomerImpersonationOauthScopeProvider;
use AgentOauth\CustomerImpersonationOauthUserProvider;
use AgentOauth\Engine;
use Pyz\Zed\AgentOauth\AgentOauthDependencyProvider;
use Pyz\Zed\AgentOauth\Business\ShopDirectory;
use Pyz\Zed\AgentOauth\Business\SigningKeyRotator;
use Spryker\Zed\Kernel\Communication\AbstractCommunicationFactory;

/**
 * @method \Pyz\Zed\AgentOauth\AgentOauthConfig getConfig()
 */
class AgentOauthCommunicationFactory extends AbstractCommunicationFactory
{
    protected ?Engine $engine = null;

    /**
     * The worker's shared engine (D20: the database and the parsed key stay
     * open between requests) with this request's directories.
     */
    public function getEngine(): Engine
    {
        if ($this->engine === null) {
            $this->engine = Engine::shared($this->getConfig()->getEngineConfiguration());
            $directory = $this->createShopDirectory();
            $this->engine->setAgentDirectory([$directory, 'findAgent']);
            $this->engine->setCustomerDirectory([$directory, 'findCustomer'], [$directory, 'searchCustomers']);
        }

        return $this->engine;
    }

    public function createShopDirectory(): ShopDirectory
    {
        return new ShopDirectory(
            $this->getProvidedDependency(AgentOauthDependencyProvider::FACADE_AGENT),
            $this->getProvidedDependency(AgentOauthDependencyProvider::FACADE_CUSTOMER),
            $this->getProvidedDependency(AgentOauthDependencyProvider::PLUGINS_OAUTH_CUSTOMER_IDENTIFIER_EXPANDER),
        );
    }

    public function createSigningKeyRotator(): SigningKeyRotator
    {
        return new SigningKeyRotator($this->getEngine());
    }

    /** Where agent-oauth:keys:rotate writes by default (AgentOauthConstants::KEY_ROTATION_DIRECTORY). */
    public function getKeyRotationDirectory(): ?string
    {
        return $this->getConfig()->getKeyRotationDirectory();
    }

    /** How long a retired signing key must keep verifying (the engine's access_token_ttl). */
    public function getAccessTokenTtl(): int
    {
        return $this->getConfig()->getAccessTokenTtl();
    }

    public function createAgentOauthUserProvider(): AgentOauthUserProvider
    {
        return new AgentOauthUserProvider($this->getEngine());
    }

    public function createAgentOauthScopeProvider(): AgentOauthScopeProvider
    {
        return new AgentOauthScopeProvider();
    }

    public function createAgentCredentialsGrantTypeConfigurationProvider(): AgentCredentialsOauthGrantTypeConfigurationProvider
    {
        return new AgentCredentialsOauthGrantTypeConfigurationProvider();
    }

    public function createAgentOauthScopeInstaller(): AgentOauthScopeInstaller
    {
        return new AgentOauthScopeInstaller($this->getEngine());
    }

    public function createCustomerImpersonationOauthUserProvider(): CustomerImpersonationOauthUserProvider
    {
        return new CustomerImpersonationOauthUserProvider($this->getEngine());
    }

    public function createCustomerImpersonationOauthScopeProvider(): CustomerImpersonationOauthScopeProvider
    {
        return new CustomerImpersonationOauthScopeProvider();
    }
}
