/*
 * The direct C API end to end on one engine: configuration, administration,
 * login, search, impersonation, verification with `act`, refresh,
 * revocation, audit, keys and introspection, and every result code a call
 * can return (PANIC is covered by the Rust tests, which can inject a bug).
 *
 * Usage: flow <test-only private key path> <scratch directory>
 */
#include <stdint.h>

#include "check.h"

static const char *IP = "203.0.113.7";
static const char *AGENT = "admin@spryker.com";
static const char *PASSWORD = "change123";

/* A sentinel that failing calls must leave in their out-parameters. */
static char sentinel_storage;
#define SENTINEL ((void *)&sentinel_storage)

static void check_result_table(void) {
    static const struct {
        ao_result code;
        const char *name;
        const char *glue;
        uint16_t status;
    } table[] = {
        {AO_RESULT_OK, "AO_RESULT_OK", NULL, 200},
        {AO_RESULT_NULL_ARGUMENT, "AO_RESULT_NULL_ARGUMENT", NULL, 500},
        {AO_RESULT_INVALID_UTF8, "AO_RESULT_INVALID_UTF8", NULL, 500},
        {AO_RESULT_INVALID_JSON, "AO_RESULT_INVALID_JSON", NULL, 500},
        {AO_RESULT_INVALID_ARGUMENT, "AO_RESULT_INVALID_ARGUMENT", NULL, 500},
        {AO_RESULT_NOT_FOUND, "AO_RESULT_NOT_FOUND", NULL, 500},
        {AO_RESULT_AUTHENTICATION_FAILED, "AO_RESULT_AUTHENTICATION_FAILED", "4101", 401},
        {AO_RESULT_TOO_MANY_ATTEMPTS, "AO_RESULT_TOO_MANY_ATTEMPTS", "4401", 429},
        {AO_RESULT_INVALID_ACCESS_TOKEN, "AO_RESULT_INVALID_ACCESS_TOKEN", "001", 401},
        {AO_RESULT_INVALID_AGENT_ACCESS_TOKEN, "AO_RESULT_INVALID_AGENT_ACCESS_TOKEN", "4102", 401},
        {AO_RESULT_MISSING_ACCESS_TOKEN, "AO_RESULT_MISSING_ACCESS_TOKEN", "002", 403},
        {AO_RESULT_AGENT_ONLY, "AO_RESULT_AGENT_ONLY", "4103", 401},
        {AO_RESULT_IMPERSONATION_FAILED, "AO_RESULT_IMPERSONATION_FAILED", "4104", 401},
        {AO_RESULT_REFRESH_FAILED, "AO_RESULT_REFRESH_FAILED", "004", 401},
        {AO_RESULT_INVALID_REQUEST, "AO_RESULT_INVALID_REQUEST", "901", 422},
        {AO_RESULT_OVERLOADED, "AO_RESULT_OVERLOADED", NULL, 503},
        {AO_RESULT_CONFIG, "AO_RESULT_CONFIG", NULL, 500},
        {AO_RESULT_STORAGE, "AO_RESULT_STORAGE", NULL, 500},
        {AO_RESULT_DIRECTORY, "AO_RESULT_DIRECTORY", NULL, 500},
        {AO_RESULT_INTERNAL, "AO_RESULT_INTERNAL", NULL, 500},
        {AO_RESULT_PANIC, "AO_RESULT_PANIC", NULL, 500},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        CHECK_STR(ao_result_name(table[i].code), table[i].name);
        CHECK_STR(ao_result_glue_code(table[i].code), table[i].glue);
        CHECK(ao_result_http_status(table[i].code) == table[i].status);
    }
    CHECK_STR(ao_result_name(4242), "AO_RESULT_UNKNOWN");
}

static ao_token_response *login(const ao_engine *engine, const char *password, ao_result expected) {
    ao_token_response *t = SENTINEL;
    CHECK_RC(ao_engine_agent_login(engine, AGENT, password, IP, &t), expected);
    if (expected != AO_RESULT_OK) {
        CHECK(t == SENTINEL);
        return NULL;
    }
    return t;
}

static void add_customer(const ao_engine *engine, int id, int active) {
    char json[512];
    snprintf(json, sizeof json,
             "{\"id_customer\":%d,\"customer_reference\":\"DE--%d\",\"email\":\"customer%d@example.com\","
             "\"first_name\":\"First%d\",\"last_name\":\"Last%d\",\"id_company_user\":null,"
             "\"permissions\":null,\"is_active\":%s}",
             id, id, id, id, id, active ? "true" : "false");
    CHECK_OK(ao_engine_upsert_customer(engine, json));
}

static void engine_creation_errors(const char *key_path, const char *dir) {
    ao_engine *e = SENTINEL;
    CHECK_RC(ao_engine_new(NULL, NULL, &e), AO_RESULT_NULL_ARGUMENT);
    CHECK_STR(ao_last_error(), "config_json must not be NULL");
    CHECK_RC(ao_engine_new("{\"colour\":1}", NULL, &e), AO_RESULT_CONFIG);
    CHECK_CONTAINS(ao_last_error(), "unknown field `colour`");
    CHECK_RC(ao_engine_new("{\"database_path\":\":memory:\"}", NULL, &e), AO_RESULT_CONFIG);
    CHECK_CONTAINS(ao_last_error(), "no signing key");
    CHECK_RC(ao_engine_new("\xff", NULL, &e), AO_RESULT_INVALID_UTF8);
    char *bad_db = test_config(key_path, "/nonexistent/dir/ao.db", "");
    CHECK_RC(ao_engine_new(bad_db, NULL, &e), AO_RESULT_STORAGE);
    free(bad_db);
    CHECK_RC(ao_engine_new_from_file("/nonexistent/agent-oauth.json", NULL, &e), AO_RESULT_CONFIG);
    CHECK(e == SENTINEL);

    /* From a file, on a database file. */
    char path[1024], db[1024];
    snprintf(path, sizeof path, "%s/flow-config.json", dir);
    snprintf(db, sizeof db, "%s/flow.db", dir);
    remove(db);
    char *json = test_config(key_path, db, "\"client_id\":\"frontend\"");
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs(json, f);
    fclose(f);
    free(json);
    CHECK_OK(ao_engine_new_from_file(path, NULL, &e));
    CHECK_OK(ao_engine_install_scopes(e, NULL));
    ao_engine_free(e);
    ao_engine_free(NULL);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s KEY_PATH SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    char version[32];
    snprintf(version, sizeof version, "%d.%d.%d", AO_VERSION_MAJOR, AO_VERSION_MINOR, AO_VERSION_PATCH);
    CHECK_STR(ao_version(), version);
    check_result_table();
    engine_creation_errors(argv[1], argv[2]);

    char *config = test_config(argv[1], ":memory:",
                               "\"lockout\":{\"max_failures\":3,\"window\":900,\"block\":360}");
    ao_engine *engine = NULL;
    CHECK_OK(ao_engine_new(config, NULL, &engine));
    free(config);

    /* Administration. */
    char *added = NULL;
    CHECK_OK(ao_engine_install_scopes(engine, &added));
    CHECK_STR(added, "[\"agent\",\"customer\",\"customer_impersonation\"]");
    ao_string_free(added);
    CHECK_OK(ao_engine_install_default_client(engine));
    CHECK_OK(ao_engine_set_client_secret(engine, "backoffice", "Back office", "s3cret"));
    int64_t id = 0;
    CHECK_OK(ao_engine_add_agent(engine, AGENT, PASSWORD, AO_AGENT_STATUS_ACTIVE, &id));
    CHECK(id == 1);
    CHECK_OK(ao_engine_add_agent_with_id(engine, 40, "second@spryker.com", "pw", AO_AGENT_STATUS_ACTIVE, NULL));
    CHECK_OK(ao_engine_import_agent(engine, 50, "imported@spryker.com",
                                    "$2y$10$abcdefghijklmnopqrstuuFb0Yb2FfyF8E1YS6WvTo2eu3ATB8Yu",
                                    AO_AGENT_STATUS_ACTIVE, &id));
    CHECK(id == 50);
    CHECK_RC(ao_engine_add_agent(engine, "", "pw", AO_AGENT_STATUS_ACTIVE, &id), AO_RESULT_INVALID_REQUEST);
    CHECK_RC(ao_engine_add_agent(engine, "x", "pw", 9, &id), AO_RESULT_INVALID_ARGUMENT);
    CHECK_STR(ao_engine_last_error(engine), "unknown agent status 9");
    CHECK_RC(ao_engine_set_agent_status(engine, 999, AO_AGENT_STATUS_BLOCKED), AO_RESULT_NOT_FOUND);
    CHECK_RC(ao_engine_set_agent_password(engine, 999, "pw"), AO_RESULT_NOT_FOUND);
    for (int i = 1; i <= 12; i++) add_customer(engine, i, i != 2);
    CHECK_RC(ao_engine_upsert_customer(engine, "{\"id_customer\":3"), AO_RESULT_INVALID_JSON);
    char *found = SENTINEL;
    CHECK_RC(ao_engine_find_customer(engine, "DE--404", &found), AO_RESULT_NOT_FOUND);
    CHECK(found == SENTINEL);
    CHECK_OK(ao_engine_find_customer(engine, "DE--5", &found));
    CHECK_CONTAINS(found, "\"email\":\"customer5@example.com\"");
    ao_string_free(found);

    /* Grant types and their scopes. */
    char *json = NULL;
    CHECK_OK(ao_grant_type_configurations(&json));
    CHECK_CONTAINS(json, "\"identifier\":\"customer_impersonation\"");
    ao_string_free(json);
    CHECK_OK(ao_grant_type_scopes("agent_credentials", &json));
    CHECK_STR(json, "[\"agent\"]");
    ao_string_free(json);
    CHECK_RC(ao_grant_type_scopes("password", &json), AO_RESULT_NOT_FOUND);

    /* Login: a wrong password is 4101; the third failure from this address blocks. */
    login(engine, "wrong", AO_RESULT_AUTHENTICATION_FAILED);
    CHECK_STR(ao_engine_last_error(engine), "Failed to authenticate an agent.");
    CHECK_STR(ao_result_glue_code(AO_RESULT_AUTHENTICATION_FAILED), "4101");
    ao_token_response *agent = login(engine, PASSWORD, AO_RESULT_OK);
    CHECK_STR(ao_token_response_token_type(agent), "Bearer");
    CHECK(ao_token_response_expires_in(agent) == 28800);
    CHECK(strncmp(ao_token_response_refresh_token(agent), "ao1_", 4) == 0);
    const char *agent_token = ao_token_response_access_token(agent);

    /* Customer search (the host authorises this direct call). */
    CHECK_OK(ao_engine_search_customers(engine, "customer1", 0, 2, &json));
    CHECK_CONTAINS(json, "\"total\":4");
    CHECK_CONTAINS(json, "\"customer_reference\":\"DE--1\"");
    ao_string_free(json);

    /* Impersonation with a reason and the client IP. */
    ao_token_response *customer = SENTINEL;
    CHECK_OK(ao_engine_impersonate(engine, agent_token, "DE--5", "ticket 42", IP, &customer));
    CHECK(ao_token_response_expires_in(customer) <= ao_token_response_expires_in(agent));
    ao_token_response *refused = SENTINEL;
    CHECK_RC(ao_engine_impersonate(engine, agent_token, "DE--2", NULL, IP, &refused), AO_RESULT_IMPERSONATION_FAILED);
    CHECK_RC(ao_engine_impersonate(engine, agent_token, "DE--404", NULL, IP, &refused), AO_RESULT_IMPERSONATION_FAILED);
    CHECK_RC(ao_engine_impersonate(engine, ao_token_response_access_token(customer), "DE--5", NULL, IP, &refused),
             AO_RESULT_AGENT_ONLY);
    CHECK_RC(ao_engine_impersonate(engine, "not-a-token", "DE--5", NULL, IP, &refused), AO_RESULT_INVALID_ACCESS_TOKEN);
    char long_reason[1100];
    memset(long_reason, 'x', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = '\0';
    CHECK_RC(ao_engine_impersonate(engine, agent_token, "DE--5", long_reason, IP, &refused), AO_RESULT_INVALID_REQUEST);
    CHECK_RC(ao_engine_impersonate(engine, agent_token, "DE--5", "\xc3\x28", IP, &refused), AO_RESULT_INVALID_UTF8);
    CHECK_RC(ao_engine_impersonate(engine, NULL, "DE--5", NULL, IP, &refused), AO_RESULT_NULL_ARGUMENT);
    CHECK_STR(ao_engine_last_error(engine), "agent_access_token must not be NULL");
    CHECK(refused == SENTINEL);

    /* Verification: the impersonation token carries act. */
    ao_claims *claims = NULL;
    CHECK_OK(ao_engine_verify_strict(engine, ao_token_response_access_token(customer), &claims));
    ao_token_kind kind = AO_TOKEN_KIND_AGENT;
    CHECK_OK(ao_claims_kind(claims, &kind));
    CHECK(kind == AO_TOKEN_KIND_IMPERSONATION);
    CHECK_STR(ao_claims_aud(claims), "frontend");
    CHECK_STR(ao_claims_customer_reference(claims), "DE--5");
    CHECK_STR(ao_claims_act_sub(claims),
              "{\"id_company_user\":null,\"id_agent\":1,\"customer_reference\":null,\"id_customer\":null,\"permissions\":null}");
    int64_t act = 0, customer_id = 0;
    CHECK_OK(ao_claims_act_agent_id(claims, &act));
    CHECK_OK(ao_claims_customer_id(claims, &customer_id));
    CHECK(act == 1 && customer_id == 5);
    CHECK(ao_claims_scope_count(claims) == 2);
    CHECK_STR(ao_claims_scope(claims, 0), "customer_impersonation");
    CHECK(ao_claims_has_scope(claims, "customer") == 1);
    CHECK(ao_claims_exp(claims) > ao_claims_iat(claims));
    CHECK_OK(ao_claims_to_json(claims, &json));
    CHECK_CONTAINS(json, "\"scopes\":[\"customer_impersonation\",\"customer\"],\"act\":{\"sub\":");
    ao_string_free(json);
    ao_claims_free(claims);
    ao_claims *none = SENTINEL;
    CHECK_RC(ao_engine_verify(engine, "a.b.c", &none), AO_RESULT_INVALID_ACCESS_TOKEN);
    CHECK(none == SENTINEL);

    /* Refresh rotates; introspection sees the new token live. */
    ao_token_response *refreshed = NULL;
    CHECK_OK(ao_engine_refresh(engine, ao_token_response_refresh_token(customer), IP, &refreshed));
    char bearer[4096];
    snprintf(bearer, sizeof bearer, "Bearer %s", agent_token);
    CHECK_OK(ao_engine_introspect(engine, bearer, ao_token_response_access_token(refreshed), &json));
    CHECK_CONTAINS(json, "{\"active\":true,\"scope\":\"customer_impersonation customer\"");
    ao_string_free(json);
    /* Presenting the spent token again is 004 and revokes the whole family (D9). */
    CHECK_RC(ao_engine_refresh(engine, ao_token_response_refresh_token(customer), IP, &refused), AO_RESULT_REFRESH_FAILED);
    CHECK_STR(ao_result_glue_code(AO_RESULT_REFRESH_FAILED), "004");
    CHECK_OK(ao_engine_introspect(engine, bearer, ao_token_response_access_token(refreshed), &json));
    CHECK_STR(json, "{\"active\":false}");
    ao_string_free(json);

    /* Introspection by a confidential client, keys. */
    CHECK_OK(ao_engine_introspect(engine, "Basic YmFja29mZmljZTpzM2NyZXQ=", "garbage", &json));
    CHECK_STR(json, "{\"active\":false}");
    ao_string_free(json);
    CHECK_RC(ao_engine_introspect(engine, NULL, "garbage", &json), AO_RESULT_INVALID_ACCESS_TOKEN);
    CHECK_OK(ao_engine_jwks(engine, &json));
    CHECK_CONTAINS(json, "\"kty\":\"RSA\"");
    ao_string_free(json);
    CHECK_OK(ao_engine_public_key_pem(engine, &json));
    CHECK_CONTAINS(json, "-----BEGIN PUBLIC KEY-----");
    ao_string_free(json);
    CHECK_OK(ao_engine_kid(engine, &json));
    CHECK(strlen(json) > 0);
    ao_string_free(json);

    /* Revocation: one family, mine, a customer's, an agent's. */
    size_t revoked = 99;
    ao_token_response *first = NULL;
    CHECK_OK(ao_engine_impersonate(engine, agent_token, "DE--7", NULL, IP, &first));
    CHECK_OK(ao_engine_revoke(engine, agent_token, ao_token_response_refresh_token(first), IP, &revoked));
    CHECK(revoked == 1);
    CHECK_OK(ao_engine_revoke(engine, agent_token, "ao1_unknown", IP, &revoked));
    CHECK(revoked == 0);
    ao_token_response *second = NULL;
    CHECK_OK(ao_engine_impersonate(engine, agent_token, "DE--6", NULL, IP, &second));
    CHECK_OK(ao_engine_revoke_customer(engine, "DE--6", &revoked));
    CHECK(revoked == 1);
    CHECK_RC(ao_engine_verify_strict(engine, ao_token_response_access_token(second), &none), AO_RESULT_INVALID_ACCESS_TOKEN);
    CHECK_OK(ao_engine_revoke_mine(engine, agent_token, IP, &revoked));
    CHECK(revoked == 1);
    CHECK_RC(ao_engine_revoke_mine(engine, agent_token, IP, &revoked), AO_RESULT_INVALID_ACCESS_TOKEN);
    ao_token_response *again = login(engine, PASSWORD, AO_RESULT_OK);
    CHECK_OK(ao_engine_revoke_agent(engine, 1, &revoked));
    CHECK(revoked == 1);
    CHECK_OK(ao_engine_set_agent_status(engine, 40, AO_AGENT_STATUS_BLOCKED));
    CHECK_OK(ao_engine_set_agent_password(engine, 1, "new secret"));
    CHECK_OK(ao_engine_purge_expired(engine, 0, NULL));

    /* Lockout: the third failure since the last success blocks; then 4401. */
    login(engine, "wrong", AO_RESULT_AUTHENTICATION_FAILED);
    login(engine, "wrong", AO_RESULT_AUTHENTICATION_FAILED);
    login(engine, "wrong", AO_RESULT_AUTHENTICATION_FAILED);
    login(engine, "new secret", AO_RESULT_TOO_MANY_ATTEMPTS);
    CHECK_CONTAINS(ao_engine_last_error(engine), "Please wait 6 minutes");

    /* The audit log saw it all. */
    CHECK_OK(ao_engine_audit_query(engine, "{\"customer_reference\":\"DE--5\"}", &json));
    CHECK_CONTAINS(json, "\"kind\":\"impersonation_started\"");
    CHECK_CONTAINS(json, "\"reason\":\"ticket 42\"");
    ao_string_free(json);
    CHECK_RC(ao_engine_audit_query(engine, "{\"who\":1}", &json), AO_RESULT_INVALID_JSON);
    CHECK_OK(ao_engine_audit_query(engine, NULL, &json));
    CHECK_CONTAINS(json, "\"kind\":\"agent_locked_out\"");
    ao_string_free(json);

    ao_token_response_free(again);
    ao_token_response_free(second);
    ao_token_response_free(first);
    ao_token_response_free(refreshed);
    ao_token_response_free(customer);
    ao_token_response_free(agent);
    ao_token_response_free(NULL);
    ao_claims_free(NULL);
    ao_string_free(NULL);
    ao_engine_free(engine);
    printf("ok: flow\n");
    return 0;
}
