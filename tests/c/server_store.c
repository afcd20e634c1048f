/*
 * Two engines, as two app servers would hold them, on one database server
 * (issue 11): what one issues, the other verifies strictly, impersonates
 * with, refreshes once and sees revoked.
 *
 * Usage: server_store <test-only private key path> <database_url> <table_prefix>
 */
#include "check.h"

static const char *IP = "203.0.113.7";
static const char *AGENT = "admin@spryker.com";
static const char *PASSWORD = "change123";

static char sentinel_storage;
#define SENTINEL ((void *)&sentinel_storage)

static ao_engine *open_engine(const char *config) {
    ao_engine *engine = NULL;
    CHECK_OK(ao_engine_new(config, NULL, &engine));
    CHECK(engine != NULL);
    return engine;
}

static ao_token_kind kind_of(const ao_engine *engine, const char *token) {
    ao_claims *claims = NULL;
    CHECK_OK(ao_engine_verify_strict(engine, token, &claims));
    ao_token_kind kind = AO_TOKEN_KIND_CUSTOMER;
    CHECK_OK(ao_claims_kind(claims, &kind));
    ao_claims_free(claims);
    return kind;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s <key path> <database_url> <table_prefix>\n", argv[0]);
        return 2;
    }
    char extra[1024];
    snprintf(extra, sizeof extra, "\"database_url\":\"%s\",\"table_prefix\":\"%s\"", argv[2],
             argv[3]);
    char *config = test_config(argv[1], ":memory:", extra);

    /* A fresh prefix: no engine may create the tables unless told to. */
    ao_engine *refused = SENTINEL;
    CHECK_RC(ao_engine_new(config, NULL, &refused), AO_RESULT_CONFIG);
    CHECK(refused == SENTINEL);
    CHECK_CONTAINS(ao_last_error(), "create or upgrade them with `agent-oauth-server init");
    char upgrade[1100];
    snprintf(upgrade, sizeof upgrade, "%s,\"upgrade_schema\":true", extra);
    char *upgrading = test_config(argv[1], ":memory:", upgrade);
    ao_engine *a = open_engine(upgrading);
    free(upgrading);
    ao_engine *b = open_engine(config);
    free(config);

    int64_t id = 0;
    CHECK_OK(ao_engine_add_agent_with_id(a, 1, AGENT, PASSWORD, AO_AGENT_STATUS_ACTIVE, &id));
    CHECK(id == 1);
    CHECK_OK(ao_engine_upsert_customer(
        a, "{\"id_customer\":5,\"customer_reference\":\"DE--5\",\"email\":\"karl@example.com\","
           "\"first_name\":\"Karl\",\"last_name\":\"Schmidt\",\"id_company_user\":null,"
           "\"permissions\":null,\"is_active\":true}"));

    /* Logged in on A: B verifies the session strictly and impersonates with it. */
    ao_token_response *agent = NULL;
    CHECK_OK(ao_engine_agent_login(a, AGENT, PASSWORD, IP, &agent));
    const char *agent_access = ao_token_response_access_token(agent);
    CHECK(kind_of(b, agent_access) == AO_TOKEN_KIND_AGENT);
    ao_token_response *imp = NULL;
    CHECK_OK(ao_engine_impersonate(b, agent_access, "DE--5", "order question", IP, &imp));
    CHECK(kind_of(a, ao_token_response_access_token(imp)) == AO_TOKEN_KIND_IMPERSONATION);

    /* A's refresh token refreshes on B, once; its reuse on A is refused. */
    ao_token_response *refreshed = NULL;
    CHECK_OK(ao_engine_refresh(b, ao_token_response_refresh_token(agent), IP, &refreshed));
    ao_token_response *again = SENTINEL;
    CHECK_RC(ao_engine_refresh(a, ao_token_response_refresh_token(agent), IP, &again),
             AO_RESULT_REFRESH_FAILED);
    CHECK(again == SENTINEL);

    /* A session ended on A is refused on B. */
    ao_token_response *second = NULL;
    CHECK_OK(ao_engine_agent_login(a, AGENT, PASSWORD, IP, &second));
    CHECK(kind_of(b, ao_token_response_access_token(second)) == AO_TOKEN_KIND_AGENT);
    size_t revoked = 0;
    CHECK_OK(ao_engine_revoke_mine(a, ao_token_response_access_token(second), IP, &revoked));
    CHECK(revoked == 1);
    ao_claims *none = SENTINEL;
    CHECK_RC(ao_engine_verify_strict(b, ao_token_response_access_token(second), &none),
             AO_RESULT_INVALID_ACCESS_TOKEN);
    CHECK(none == SENTINEL);

    ao_token_response_free(second);
    ao_token_response_free(refreshed);
    ao_token_response_free(imp);
    ao_token_response_free(agent);
    ao_engine_free(b);
    ao_engine_free(a);
    printf("ok: two engines on %s\n", strncmp(argv[2], "mysql", 5) == 0 ? "MariaDB" : "PostgreSQL");
    return 0;
}
