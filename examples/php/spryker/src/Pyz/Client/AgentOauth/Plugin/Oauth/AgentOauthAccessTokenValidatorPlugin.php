<?php

namespace Pyz\Client\AgentOauth\Plugin\Oauth;

use AgentOauth\Engine;
use AgentOauth\Exception as AgentOauthException;
use Generated\Shared\Transfer\OauthAccessTokenValidationRequestTransfer;
use Generated\Shared\Transfer\OauthAccessTokenValidationResponseTransfer;
use Generated\Shared\Transfer\OauthErrorTransfer;
use Pyz\Shared\AgentOauth\AgentOauthConstants;
use Spryker\Client\Kernel\AbstractPlugin;
use Spryker\Client\OauthExtension\Dependency\Plugin\AccessTokenValidatorPluginInterface;
use Spryker\Shared\Config\Config;

/**
 * Applies the engine's strict check (D3) on every authenticated Glue
 * request, so a revoked impersonation stops working on carts, checkout and
 * orders at once, not at its `exp` (issue 12).
 *
 * Only tokens the engine issued are checked (`Engine::isEngineToken()`: an
 * impersonation token's `act`, an agent token's `id_agent`, each signed with
 * a `kid` that league's tokens lack; no
 * cryptography, no engine built). Every other token, a Spryker customer
 * token above all, passes through untouched to the next validator and to
 * league's signature check. An engine token whose session is revoked or
 * expired, whose agent is blocked or deleted, or that fails verification is
 * refused as league refuses a revoked token. When the engine cannot answer
 * (its database is down) the engine's tokens are refused too: fail closed,
 * while customers' own tokens keep working.
 *
 * Wiring, in `Pyz\Client\Oauth\OauthDependencyProvider`:
 *
 *     protected function getAccessTokenValidatorPlugins(): array
 *     {
 *         return [
 *             new ValidateInvalidatedCustomerAccessTokenValidatorPlugin(),
 *             new AgentOauthAccessTokenValidatorPlugin(),
 *         ];
 *     }
 */
class AgentOauthAccessTokenValidatorPlugin extends AbstractPlugin implements AccessTokenValidatorPluginInterface
{
    /** What league answers for a revoked access token. */
    protected const ERROR_TYPE = 'access_denied';
    protected const ERROR_MESSAGE = 'Access token has been revoked';

    /**
     * @param (\Closure(): \AgentOauth\Engine)|null $engineFactory builds the
     *        engine on first use; by default the worker's shared engine with the
     *        shop's agent directory (tests inject their own)
     */
    public function __construct(protected ?\Closure $engineFactory = null)
    {
    }

    public function validate(
        OauthAccessTokenValidationRequestTransfer $oauthAccessTokenValidationRequestTransfer,
        OauthAccessTokenValidationResponseTransfer $oauthAccessTokenValidationResponseTransfer
    ): OauthAccessTokenValidationResponseTransfer {
        $token = (string) $oauthAccessTokenValidationRequestTransfer->getAccessToken();
        if (!Engine::isEngineToken($token)) {
            return $oauthAccessTokenValidationResponseTransfer;
        }
        try {
            $this->getEngine()->verify($token, true);

            return $oauthAccessTokenValidationResponseTransfer;
        } catch (AgentOauthException) {
            return $oauthAccessTokenValidationResponseTransfer
                ->setIsValid(false)
                ->setError(
                    (new OauthErrorTransfer())
                        ->setErrorType(static::ERROR_TYPE)
                        ->setMessage(static::ERROR_MESSAGE),
                );
        }
    }

    protected function getEngine(): Engine
    {
        $factory = $this->engineFactory ?? static function (): Engine {
            // The strict check reads the session and its agent: the agent comes
            // from the shop's spy_user, as in the Glue resources.
            $engine = Engine::shared(Config::get(AgentOauthConstants::ENGINE_CONFIGURATION));
            $agentClient = \Spryker\Client\Kernel\Locator::getInstance()->agent()->client();
            $directory = new \Pyz\Glue\AgentOauth\ShopDirectory(
                $agentClient,
                \Spryker\Client\Kernel\Locator::getInstance()->agentOauth()->client(),
            );
            $engine->setAgentDirectory([$directory, 'findAgent']);

            return $engine;
        };

        return $factory();
    }
}
