/*
 * The impersonation policy and lifetime (issue 12, D30) through the C ABI:
 * the `impersonation` section and `impersonation_access_token_ttl` of the
 * configuration JSON, the result codes of each refusal (INVALID_REQUEST =
 * 901 for the reason rules, IMPERSONATION_FAILED = 4104 for the caps and
 * the session age), the last error's text, and the audit naming the rule.
 *
 * Usage: policy <test-only private key path>
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <time.h>

#include "check.h"

static const char *IP = "203.0.113.7";

static ao_engine *engine_with(const char *key_path, const char *extra) {
    char *config = test_config(key_path, ":memory:", extra);
    ao_engine *engine = NULL;
    CHECK_OK(ao_engine_new(config, NULL, &engine));
    free(config);
    CHECK_OK(ao_engine_install_scopes(engine, NULL));
    CHECK_OK(ao_engine_add_agent(engine, "admin@spryker.com", "change123", AO_AGENT_STATUS_ACTIVE, NULL));
    for (int id = 1; id <= 2; id++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"id_customer\":%d,\"customer_reference\":\"DE--%d\",\"email\":\"c%d@example.com\","
                 "\"first_name\":\"F\",\"last_name\":\"L\",\"id_company_user\":null,"
                 "\"permissions\":null,\"is_active\":true}",
                 id, id, id);
        CHECK_OK(ao_engine_upsert_customer(engine, json));
    }
    return engine;
}

static ao_token_response *login(const ao_engine *engine) {
    ao_token_response *t = NULL;
    CHECK_OK(ao_engine_agent_login(engine, "admin@spryker.com", "change123", IP, &t));
    return t;
}

static void reasons(const char *key_path) {
    ao_engine *engine = engine_with(
        key_path, "\"impersonation\":{\"require_reason\":true,\"reason_pattern\":\"^[A-Z]+-[0-9]+$\"}");
    ao_token_response *agent = login(engine);
    const char *token = ao_token_response_access_token(agent);
    ao_token_response *imp = NULL;
    CHECK_RC(ao_engine_impersonate(engine, token, "DE--1", NULL, IP, &imp), AO_RESULT_INVALID_REQUEST);
    CHECK_STR(ao_last_error(), "reason => This value should not be blank.");
    CHECK(imp == NULL);
    CHECK_RC(ao_engine_impersonate(engine, token, "DE--1", "ticket 4711", IP, &imp), AO_RESULT_INVALID_REQUEST);
    CHECK_STR(ao_last_error(), "reason => This value is not valid.");
    CHECK_STR(ao_result_glue_code(AO_RESULT_INVALID_REQUEST), "901");
    CHECK_OK(ao_engine_impersonate(engine, token, "DE--1", "SUP-4711", IP, &imp));
    ao_token_response_free(imp);

    char *events = NULL;
    CHECK_OK(ao_engine_audit_query(engine, "{}", &events));
    CHECK_CONTAINS(events, "\"policy\":\"require_reason: no reason given\"");
    CHECK_CONTAINS(events, "\"policy\":\"reason_pattern: does not match ^[A-Z]+-[0-9]+$\"");
    ao_string_free(events);
    ao_token_response_free(agent);
    ao_engine_free(engine);
}

static void caps_and_lifetime(const char *key_path) {
    ao_engine *engine = engine_with(
        key_path,
        "\"impersonation_access_token_ttl\":900,"
        "\"impersonation\":{\"max_active_sessions_per_agent\":1,\"max_session_seconds\":600}");
    ao_token_response *agent = login(engine);
    CHECK(ao_token_response_expires_in(agent) == 28800);
    const char *token = ao_token_response_access_token(agent);
    ao_token_response *imp = NULL;
    CHECK_OK(ao_engine_impersonate(engine, token, "DE--1", NULL, IP, &imp));
    CHECK(ao_token_response_expires_in(imp) == 900);
    ao_token_response *second = NULL;
    CHECK_RC(ao_engine_impersonate(engine, token, "DE--2", NULL, IP, &second), AO_RESULT_IMPERSONATION_FAILED);
    CHECK(second == NULL);
    CHECK(ao_result_http_status(AO_RESULT_IMPERSONATION_FAILED) == 401);

    char *events = NULL;
    CHECK_OK(ao_engine_audit_query(engine, "{}", &events));
    CHECK_CONTAINS(events, "\"policy\":\"1 active of 1\"");
    CHECK_CONTAINS(events, "\"policy\":\"max_active_sessions_per_agent: 1 of 1 active\"");
    ao_string_free(events);

    /* A young session refreshes and keeps the short lifetime. */
    ao_token_response *refreshed = NULL;
    CHECK_OK(ao_engine_refresh(engine, ao_token_response_refresh_token(imp), IP, &refreshed));
    CHECK(ao_token_response_expires_in(refreshed) <= 900);
    ao_token_response_free(refreshed);
    ao_token_response_free(imp);
    ao_token_response_free(agent);
    ao_engine_free(engine);
}

/* The hourly cap, and the session age at a refresh (the engine's clock is
 * the system's: the test waits until the session is two seconds old). */
static void hourly_cap_and_session_age(const char *key_path) {
    ao_engine *engine = engine_with(
        key_path, "\"impersonation\":{\"max_starts_per_agent_per_hour\":1,\"max_session_seconds\":1}");
    ao_token_response *agent = login(engine);
    const char *token = ao_token_response_access_token(agent);
    ao_token_response *imp = NULL;
    CHECK_OK(ao_engine_impersonate(engine, token, "DE--1", NULL, IP, &imp));
    ao_token_response *second = NULL;
    CHECK_RC(ao_engine_impersonate(engine, token, "DE--2", NULL, IP, &second), AO_RESULT_IMPERSONATION_FAILED);
    CHECK(second == NULL);

    time_t start = time(NULL);
    struct timespec step = {0, 50 * 1000 * 1000};
    while (time(NULL) < start + 2) nanosleep(&step, NULL);
    ao_token_response *refreshed = NULL;
    CHECK_RC(ao_engine_refresh(engine, ao_token_response_refresh_token(imp), IP, &refreshed),
             AO_RESULT_IMPERSONATION_FAILED);
    CHECK(refreshed == NULL);

    char *events = NULL;
    CHECK_OK(ao_engine_audit_query(engine, "{}", &events));
    CHECK_CONTAINS(events, "\"policy\":\"max_starts_per_agent_per_hour: 1 of 1 started within the hour\"");
    CHECK_CONTAINS(events, "\"policy\":\"max_session_seconds: ");
    CHECK_CONTAINS(events, " s old, at most 1 s\"");
    ao_string_free(events);
    ao_token_response_free(imp);
    ao_token_response_free(agent);
    ao_engine_free(engine);
}

/* The resource server's test: which tokens are the engine's, and the strict
 * check that ends an impersonation once its agent is blocked. */
static void engine_tokens(const char *key_path) {
    ao_engine *engine = engine_with(key_path, "");
    ao_token_response *agent = login(engine);
    ao_token_response *imp = NULL;
    CHECK_OK(ao_engine_impersonate(engine, ao_token_response_access_token(agent), "DE--1", NULL, IP, &imp));
    CHECK(ao_is_engine_token(ao_token_response_access_token(agent)));
    CHECK(ao_is_engine_token(ao_token_response_access_token(imp)));
    CHECK(!ao_is_engine_token(NULL));
    CHECK(!ao_is_engine_token("a.b.c"));
    CHECK(!ao_is_engine_token("\xff"));
    ao_claims *claims = NULL;
    CHECK_OK(ao_engine_verify_strict(engine, ao_token_response_access_token(imp), &claims));
    ao_claims_free(claims);
    claims = NULL;
    CHECK_OK(ao_engine_set_agent_status(engine, 1, AO_AGENT_STATUS_BLOCKED));
    CHECK_RC(ao_engine_verify_strict(engine, ao_token_response_access_token(imp), &claims),
             AO_RESULT_INVALID_ACCESS_TOKEN);
    CHECK(claims == NULL);
    ao_token_response_free(imp);
    ao_token_response_free(agent);
    ao_engine_free(engine);
}

/* A customer who opted out (the D19 field `impersonation_allowed`). */
static void opted_out_customer(const char *key_path) {
    ao_engine *engine = engine_with(key_path, "");
    CHECK_OK(ao_engine_upsert_customer(
        engine, "{\"id_customer\":9,\"customer_reference\":\"DE--9\",\"email\":\"o@example.com\","
                "\"first_name\":\"O\",\"last_name\":\"Out\",\"impersonation_allowed\":false}"));
    ao_token_response *agent = login(engine);
    ao_token_response *imp = NULL;
    CHECK_RC(ao_engine_impersonate(engine, ao_token_response_access_token(agent), "DE--9", NULL, IP, &imp),
             AO_RESULT_IMPERSONATION_FAILED);
    CHECK(imp == NULL);
    char *events = NULL;
    CHECK_OK(ao_engine_audit_query(engine, "{}", &events));
    CHECK_CONTAINS(events, "\"policy\":\"impersonation_allowed: false for this customer\"");
    ao_string_free(events);
    CHECK_RC(ao_engine_upsert_customer(engine, "{\"id_customer\":9,\"customer_reference\":\"DE--9\","
                                               "\"email\":\"o\",\"first_name\":\"O\",\"last_name\":\"O\","
                                               "\"impersonation_allowed\":\"no\"}"),
             AO_RESULT_INVALID_JSON);
    ao_token_response_free(agent);
    ao_engine_free(engine);
}

static void bad_values(const char *key_path) {
    const char *bad[] = {
        "\"impersonation\":{\"max_starts_per_agent_per_hour\":0}",
        "\"impersonation\":{\"reason_pattern\":\"([\"}",
        "\"impersonation_access_token_ttl\":0",
        "\"impersonation\":7",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *config = test_config(key_path, ":memory:", bad[i]);
        ao_engine *engine = NULL;
        CHECK_RC(ao_engine_new(config, NULL, &engine), AO_RESULT_CONFIG);
        CHECK(engine == NULL);
        CHECK_CONTAINS(ao_last_error(), "impersonation");
        free(config);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <test-only private key path>\n", argv[0]);
        return 2;
    }
    reasons(argv[1]);
    caps_and_lifetime(argv[1]);
    hourly_cap_and_session_age(argv[1]);
    engine_tokens(argv[1]);
    opted_out_customer(argv[1]);
    bad_values(argv[1]);
    printf("ok: impersonation policy through the C ABI\n");
    return 0;
}
