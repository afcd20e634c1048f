/*
 * agent_assist.c: a support agent helps a customer, through the C API of
 * libagent_oauth.
 *
 *   1. the agent logs in               (agent_credentials)
 *   2. finds the customer              (agent customer search)
 *   3. impersonates them               (customer_impersonation, with a reason)
 *   4. the shop verifies the token     (claims, including `act`)
 *   5. the session is refreshed        (refresh_token, rotation)
 *   6. assistance ends                 (revocation)
 *
 * Build and run from the repository's root (the build also writes the
 * libagent_oauth.so.0 link the program loads), or see ffi/README.md for the
 * installed library and pkg-config:
 *
 *   cargo build --release -p agent-oauth-ffi
 *   cc -std=c11 -Iinclude examples/c/agent_assist.c -Ltarget/release -lagent_oauth \
 *      -Wl,-rpath,$PWD/target/release -o agent_assist
 *   ./agent_assist core/tests/keys/test-only-private-key.pem
 *
 * The key given must be the shop's OAuth private key in production; the one
 * above is a committed test-only key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_oauth.h"

static const char *CLIENT_IP = "203.0.113.7";

/* Prints why a call failed and exits: the result's name, its Glue code and
 * HTTP status when it has them, and the engine's message. */
static void fail(const ao_engine *engine, const char *what, ao_result rc) {
    const char *code = ao_result_glue_code(rc);
    const char *message = engine != NULL ? ao_engine_last_error(engine) : ao_last_error();
    fprintf(stderr, "%s failed: %s (Glue code %s, HTTP %u): %s\n", what, ao_result_name(rc),
            code != NULL ? code : "-", (unsigned)ao_result_http_status(rc), message != NULL ? message : "");
    exit(1);
}

#define TRY(engine, call) \
    do { \
        ao_result rc_ = (call); \
        if (rc_ != AO_RESULT_OK) fail((engine), #call, rc_); \
    } while (0)

/* Shortens a token for display. */
static const char *shorten(const char *token, char *buffer, size_t size) {
    snprintf(buffer, size, "%.24s...", token);
    return buffer;
}

static void print_claims(const ao_claims *claims) {
    ao_token_kind kind = AO_TOKEN_KIND_CUSTOMER;
    ao_claims_kind(claims, &kind);
    printf("   kind:     %s\n", kind == AO_TOKEN_KIND_AGENT           ? "agent"
                                : kind == AO_TOKEN_KIND_IMPERSONATION ? "impersonation"
                                                                      : "customer");
    printf("   sub:      %s\n", ao_claims_sub(claims));
    printf("   scopes:  ");
    for (size_t i = 0; i < ao_claims_scope_count(claims); i++) printf(" %s", ao_claims_scope(claims, i));
    printf("\n   expires:  in %lld s\n", (long long)(ao_claims_exp(claims) - ao_claims_iat(claims)));
    const char *reference = ao_claims_customer_reference(claims);
    if (reference != NULL) printf("   customer: %s\n", reference);
    int64_t acting = 0;
    if (ao_claims_act_agent_id(claims, &acting) == AO_RESULT_OK)
        printf("   act:      agent %lld (act.sub = %s)\n", (long long)acting, ao_claims_act_sub(claims));
}

int main(int argc, char **argv) {
    const char *key_path = argc > 1 ? argv[1] : "core/tests/keys/test-only-private-key.pem";
    printf("libagent_oauth %s\n\n", ao_version());

    /* One JSON configuration, the core's schema. A real shop sets
     * database_path to a file and keeps the default argon2 parameters. */
    char config[1024];
    snprintf(config, sizeof config,
             "{\"private_key_path\":\"%s\",\"database_path\":\":memory:\","
             "\"argon2\":{\"memory_kib\":256,\"iterations\":1,\"parallelism\":1}}",
             key_path);
    ao_engine *engine = NULL;
    TRY(NULL, ao_engine_new(config, NULL, &engine));

    /* Setup a shop does once: scopes, an agent, a customer. */
    TRY(engine, ao_engine_install_scopes(engine, NULL));
    int64_t agent_id = 0;
    TRY(engine, ao_engine_add_agent(engine, "admin@spryker.com", "change123", AO_AGENT_STATUS_ACTIVE, &agent_id));
    TRY(engine, ao_engine_upsert_customer(engine,
        "{\"id_customer\":5,\"customer_reference\":\"DE--5\",\"email\":\"spencor.hopkin@spryker.com\","
        "\"first_name\":\"Spencor\",\"last_name\":\"Hopkin\",\"is_active\":true}"));

    char shown[64];

    /* 1. Login. A wrong password would be AO_RESULT_AUTHENTICATION_FAILED (4101). */
    ao_token_response *agent = NULL;
    TRY(engine, ao_engine_agent_login(engine, "admin@spryker.com", "change123", CLIENT_IP, &agent));
    printf("1. agent %lld logged in\n   access token:  %s (%s, expires in %lld s)\n   refresh token: %s\n",
           (long long)agent_id, shorten(ao_token_response_access_token(agent), shown, sizeof shown),
           ao_token_response_token_type(agent), (long long)ao_token_response_expires_in(agent),
           ao_token_response_refresh_token(agent));
    ao_token_response *wrong = NULL;
    ao_result rc = ao_engine_agent_login(engine, "admin@spryker.com", "guess", CLIENT_IP, &wrong);
    printf("   (a wrong password gives %s, Glue %s, HTTP %u: \"%s\")\n", ao_result_name(rc),
           ao_result_glue_code(rc), (unsigned)ao_result_http_status(rc), ao_engine_last_error(engine));

    /* 2. Search. The answer is JSON: {"customers":[...],"total":N,"offset":0,"limit":10}. */
    char *page = NULL;
    TRY(engine, ao_engine_search_customers(engine, "spencor", 0, 0, &page));
    printf("\n2. search \"spencor\": %s\n", page);
    ao_string_free(page);

    /* 3. Impersonate, with a reason for the audit log. */
    ao_token_response *customer = NULL;
    TRY(engine, ao_engine_impersonate(engine, ao_token_response_access_token(agent), "DE--5",
                                      "ticket #4711: cart problem", CLIENT_IP, &customer));
    printf("\n3. impersonating DE--5\n   access token:  %s (expires in %lld s)\n",
           shorten(ao_token_response_access_token(customer), shown, sizeof shown),
           (long long)ao_token_response_expires_in(customer));

    /* 4. Verify as a resource server would, with the strict (session) check. */
    ao_claims *claims = NULL;
    TRY(engine, ao_engine_verify_strict(engine, ao_token_response_access_token(customer), &claims));
    printf("\n4. verified claims\n");
    print_claims(claims);
    ao_claims_free(claims);

    /* 5. Refresh: a new pair; the old refresh token is spent. */
    ao_token_response *refreshed = NULL;
    TRY(engine, ao_engine_refresh(engine, ao_token_response_refresh_token(customer), CLIENT_IP, &refreshed));
    printf("\n5. refreshed\n   new refresh token: %s\n", ao_token_response_refresh_token(refreshed));

    /* 6. End assistance: revoke the impersonation session. */
    size_t revoked = 0;
    TRY(engine, ao_engine_revoke(engine, ao_token_response_access_token(agent),
                                 ao_token_response_refresh_token(refreshed), CLIENT_IP, &revoked));
    printf("\n6. revoked %zu session\n", revoked);
    ao_claims *dead = NULL;
    rc = ao_engine_verify_strict(engine, ao_token_response_access_token(refreshed), &dead);
    printf("   the impersonation token now gives %s (Glue %s)\n", ao_result_name(rc), ao_result_glue_code(rc));

    char *audit = NULL;
    TRY(engine, ao_engine_audit_query(engine, "{\"customer_reference\":\"DE--5\"}", &audit));
    printf("\naudit log for DE--5: %s\n", audit);
    ao_string_free(audit);

    /* Everything the library returned has its free function. */
    ao_token_response_free(refreshed);
    ao_token_response_free(customer);
    ao_token_response_free(agent);
    ao_engine_free(engine);
    return 0;
}
