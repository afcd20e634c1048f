/*
 * Customer consent and the customer's impersonation sessions (issue 12,
 * D30) through the C ABI: `POST /customer-impersonation-consents` and
 * `GET /customer-impersonation-sessions` of the Glue handler with a
 * customer's own Spryker token, consent codes used once through
 * `ao_engine_impersonate_with_consent` and through the Glue impersonation
 * resource (`consentCode`), the refusals of a missing, wrong, replaced,
 * spent or expired code (4104) with the audit naming the rule, the lockout
 * after 9 wrong codes per agent and customer, 403/4105
 * (AO_RESULT_CUSTOMER_ONLY) for agent and impersonation tokens, 403/002
 * without Authorization, and the session list: own sessions only, newest
 * first, statuses, the agent as `agent_display` shows it, paging links.
 *
 * The customer tokens are test-only fixtures signed with the test-only key
 * (tests/c/fixtures/README.md says how they were made): customers DE--1 and
 * DE--2, valid from 2023-11-14 until 2100, since the engine reads the
 * system clock.
 *
 * Usage: consent <test-only private key path> <DE--1 token path> <DE--2 token path>
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <stdint.h>
#include <time.h>

#include "check.h"

static const char *IP = "203.0.113.7";
static const char *BASE = "https://glue.example.com";
static const char *CONSENTS = "/customer-impersonation-consents";
static const char *SESSIONS = "/customer-impersonation-sessions";
static const char *IMPERSONATION = "/agent-customer-impersonation-access-tokens";

static const char *CUSTOMER_ONLY =
    "{\"errors\":[{\"status\":403,\"code\":\"4105\",\"detail\":\"Action is available to customer user only.\"}]}";
static const char *MISSING_TOKEN =
    "{\"errors\":[{\"detail\":\"Missing access token.\",\"status\":403,\"code\":\"002\"}]}";
static const char *IMPERSONATION_FAILED =
    "{\"errors\":[{\"code\":\"4104\",\"status\":401,\"detail\":\"Failed to impersonate a customer.\"}]}";

/* "Bearer <token>" of the two customers, read from the fixtures. */
static char de1[1024], de2[1024];

typedef struct {
    uint16_t status;
    char *body; /* malloc'd copy */
    char content_type[64];
    char cache_control[64];
} answer;

static void read_bearer(const char *path, char *out, size_t size) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char token[1000];
    CHECK(fgets(token, sizeof token, f) != NULL);
    fclose(f);
    token[strcspn(token, "\r\n")] = '\0';
    CHECK(strlen(token) > 100);
    snprintf(out, size, "Bearer %s", token);
}

/* One request with at most one header; the response is copied out and
 * freed at once. */
static answer request(const ao_engine *engine, const char *method, const char *path, const char *query,
                      const char *header_name, const char *header_value, const char *body) {
    const char *names[1] = {header_name};
    const char *values[1] = {header_value};
    size_t header_count = header_name != NULL ? 1 : 0;
    ao_glue_response *response = NULL;
    CHECK_OK(ao_engine_handle_glue(engine, method, path, query, header_count ? names : NULL,
                                   header_count ? values : NULL, header_count, (const uint8_t *)body,
                                   body != NULL ? strlen(body) : 0, IP, &response));
    answer a = {ao_glue_response_status(response), NULL, "", ""};
    size_t len = 0;
    const uint8_t *bytes = ao_glue_response_body(response, &len);
    a.body = malloc(len + 1);
    CHECK(a.body != NULL);
    memcpy(a.body, bytes, len);
    a.body[len] = '\0';
    const char *type = ao_glue_response_header(response, "content-type");
    if (type != NULL) snprintf(a.content_type, sizeof a.content_type, "%s", type);
    const char *cache = ao_glue_response_header(response, "cache-control");
    if (cache != NULL) snprintf(a.cache_control, sizeof a.cache_control, "%s", cache);
    ao_glue_response_free(response);
    return a;
}

/* Copies the JSON string value after the first `"key":"` into `out`. */
static void json_string(const char *json, const char *key, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *start = strstr(json, pattern);
    CHECK(start != NULL);
    start += strlen(pattern);
    const char *end = strchr(start, '"');
    CHECK(end != NULL && (size_t)(end - start) < size);
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
}

static size_t count(const char *haystack, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle)) n++;
    return n;
}

/* Sleeps until time(NULL) has moved past its value now, so that the
 * engine's next reading of the clock is at least one second later. */
static void next_second(void) {
    time_t start = time(NULL);
    struct timespec step = {0, 50 * 1000 * 1000};
    while (time(NULL) <= start) nanosleep(&step, NULL);
}

static ao_engine *engine_with(const char *key_path, const char *impersonation, int64_t *agent_id) {
    char extra[512];
    snprintf(extra, sizeof extra, "\"glue_base_url\":\"%s\",\"impersonation\":%s", BASE, impersonation);
    char *config = test_config(key_path, ":memory:", extra);
    ao_engine *engine = NULL;
    CHECK_OK(ao_engine_new(config, NULL, &engine));
    free(config);
    CHECK_OK(ao_engine_install_scopes(engine, NULL));
    CHECK_OK(ao_engine_add_agent(engine, "admin@spryker.com", "change123", AO_AGENT_STATUS_ACTIVE, agent_id));
    for (int id = 1; id <= 2; id++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"id_customer\":%d,\"customer_reference\":\"DE--%d\",\"email\":\"c%d@example.com\","
                 "\"first_name\":\"F\",\"last_name\":\"L\",\"is_active\":true}",
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

/* A consent code created through the Glue handler with a customer's own
 * token; checks the whole 201 answer and returns the 6 digits. */
static void create_code(const ao_engine *engine, const char *bearer, const char *body, unsigned expires_in,
                        char code[7]) {
    answer a = request(engine, "POST", CONSENTS, NULL, "Authorization", bearer, body);
    CHECK(a.status == 201);
    CHECK_STR(a.content_type, "application/vnd.api+json");
    CHECK_STR(a.cache_control, "no-store");
    CHECK_CONTAINS(a.body, "{\"data\":{\"type\":\"customer-impersonation-consents\",\"id\":null,"
                           "\"attributes\":{\"consentCode\":\"");
    char tail[256];
    snprintf(tail, sizeof tail,
             "\"expiresIn\":%u},\"links\":{\"self\":\"https://glue.example.com/customer-impersonation-consents\"}}}",
             expires_in);
    CHECK_CONTAINS(a.body, tail);
    json_string(a.body, "consentCode", code, 7);
    CHECK(strlen(code) == 6);
    for (int i = 0; i < 6; i++) CHECK(isdigit((unsigned char)code[i]));
    free(a.body);
}

/* The same 6-digit shape, another code. */
static void other_than(const char *code, char out[16]) {
    snprintf(out, 16, "%06ld", (strtol(code, NULL, 10) + 1) % 1000000);
}

static char *audit(const ao_engine *engine) {
    char *events = NULL;
    CHECK_OK(ao_engine_audit_query(engine, "{}", &events));
    return events;
}

static void impersonation_body(char *out, size_t size, const char *reference, const char *reason,
                               const char *code) {
    char attributes[256];
    int n = snprintf(attributes, sizeof attributes, "\"customerReference\":\"%s\"", reference);
    if (reason != NULL) n += snprintf(attributes + n, sizeof attributes - (size_t)n, ",\"reason\":\"%s\"", reason);
    if (code != NULL) snprintf(attributes + n, sizeof attributes - (size_t)n, ",\"consentCode\":\"%s\"", code);
    snprintf(out, size, "{\"data\":{\"type\":\"agent-customer-impersonation-access-tokens\",\"attributes\":{%s}}}",
             attributes);
}

/* A code created through Glue (empty body, then a JSON:API body, which
 * replaces the first) works once through the C function. */
static void consent_used_once(const char *key_path) {
    ao_engine *engine = engine_with(key_path, "{\"require_customer_consent\":true}", NULL);
    ao_token_response *agent = login(engine);
    const char *token = ao_token_response_access_token(agent);

    char first[7], code[7];
    create_code(engine, de1, NULL, 600, first);
    create_code(engine, de1, "{\"data\":{\"type\":\"customer-impersonation-consents\",\"attributes\":{}}}", 600, code);
    /* A body of another type is refused before anything is created. */
    answer a = request(engine, "POST", CONSENTS, NULL, "Authorization", de1,
                       "{\"data\":{\"type\":\"x\",\"attributes\":{}}}");
    CHECK(a.status == 400);
    CHECK_CONTAINS(a.body, "Invalid type.");
    free(a.body);

    ao_token_response *imp = NULL;
    if (strcmp(first, code) != 0) {
        /* The second code replaced the first. */
        CHECK_RC(ao_engine_impersonate_with_consent(engine, token, "DE--1", "SUP-1", first, IP, &imp),
                 AO_RESULT_IMPERSONATION_FAILED);
        CHECK(imp == NULL);
    }
    CHECK_OK(ao_engine_impersonate_with_consent(engine, token, "DE--1", "SUP-1", code, IP, &imp));
    ao_claims *claims = NULL;
    CHECK_OK(ao_engine_verify_strict(engine, ao_token_response_access_token(imp), &claims));
    CHECK_STR(ao_claims_customer_reference(claims), "DE--1");
    CHECK(ao_claims_act_sub(claims) != NULL);
    ao_claims_free(claims);
    ao_token_response_free(imp);

    /* Spent. */
    imp = NULL;
    ao_result rc = ao_engine_impersonate_with_consent(engine, token, "DE--1", "SUP-1", code, IP, &imp);
    CHECK_RC(rc, AO_RESULT_IMPERSONATION_FAILED);
    CHECK(imp == NULL);
    CHECK_STR(ao_result_glue_code(rc), "4104");
    CHECK(ao_result_http_status(rc) == 401);

    char *events = audit(engine);
    CHECK(count(events, "\"kind\":\"consent_created\"") == 2);
    CHECK(count(events, "\"policy\":\"require_customer_consent: consent code already used\"") == 1);
    CHECK(count(events, "\"policy\":\"require_customer_consent: wrong consent code\"") ==
          (strcmp(first, code) != 0 ? 1u : 0u));
    ao_string_free(events);
    ao_token_response_free(agent);
    ao_engine_free(engine);
}

/* The Glue impersonation resource with `consentCode`; the refusals of a
 * missing code (Glue, NULL, empty) and the call mistakes. */
static void consent_through_glue(const char *key_path) {
    ao_engine *engine = engine_with(key_path, "{\"require_customer_consent\":true}", NULL);
    ao_token_response *agent = login(engine);
    const char *token = ao_token_response_access_token(agent);
    char bearer[2100], body[512], code[7];
    snprintf(bearer, sizeof bearer, "Bearer %s", token);

    /* No code in the body. */
    impersonation_body(body, sizeof body, "DE--1", "SUP-2", NULL);
    answer a = request(engine, "POST", IMPERSONATION, NULL, "X-Agent-Authorization", bearer, body);
    CHECK(a.status == 401);
    CHECK_STR(a.body, IMPERSONATION_FAILED);
    free(a.body);

    create_code(engine, de1, NULL, 600, code);
    impersonation_body(body, sizeof body, "DE--1", "SUP-2", code);
    a = request(engine, "POST", IMPERSONATION, NULL, "X-Agent-Authorization", bearer, body);
    CHECK(a.status == 201);
    CHECK_CONTAINS(a.body, "{\"data\":{\"type\":\"agent-customer-impersonation-access-tokens\"");
    CHECK_CONTAINS(a.body, "\"links\":{\"self\":\"https://glue.example.com/agent-customer-impersonation-access-tokens\"}");
    char customer_token[2048];
    json_string(a.body, "accessToken", customer_token, sizeof customer_token);
    free(a.body);
    ao_claims *claims = NULL;
    CHECK_OK(ao_engine_verify_strict(engine, customer_token, &claims));
    CHECK_STR(ao_claims_customer_reference(claims), "DE--1");
    ao_claims_free(claims);
    /* The same code again through Glue. */
    a = request(engine, "POST", IMPERSONATION, NULL, "X-Agent-Authorization", bearer, body);
    CHECK(a.status == 401);
    CHECK_STR(a.body, IMPERSONATION_FAILED);
    free(a.body);

    /* NULL and empty codes through the C function. */
    ao_token_response *imp = NULL;
    CHECK_RC(ao_engine_impersonate_with_consent(engine, token, "DE--1", NULL, NULL, IP, &imp),
             AO_RESULT_IMPERSONATION_FAILED);
    CHECK(imp == NULL);
    CHECK_RC(ao_engine_impersonate_with_consent(engine, token, "DE--1", NULL, "", IP, &imp),
             AO_RESULT_IMPERSONATION_FAILED);
    CHECK(imp == NULL);
    /* The plain call is the call without a code. */
    CHECK_RC(ao_engine_impersonate(engine, token, "DE--1", NULL, IP, &imp), AO_RESULT_IMPERSONATION_FAILED);
    CHECK(imp == NULL);

    char *events = audit(engine);
    CHECK(count(events, "\"policy\":\"require_customer_consent: no consent code given\"") == 4);
    CHECK(count(events, "\"policy\":\"require_customer_consent: consent code already used\"") == 1);
    CHECK(count(events, "\"kind\":\"impersonation_denied\"") == 5);
    CHECK_CONTAINS(events, "\"reason\":\"SUP-2\"");
    ao_string_free(events);

    /* Call mistakes. */
    CHECK_RC(ao_engine_impersonate_with_consent(NULL, token, "DE--1", NULL, "123456", IP, &imp),
             AO_RESULT_NULL_ARGUMENT);
    CHECK_RC(ao_engine_impersonate_with_consent(engine, token, NULL, NULL, "123456", IP, &imp),
             AO_RESULT_NULL_ARGUMENT);
    CHECK_RC(ao_engine_impersonate_with_consent(engine, token, "DE--1", NULL, "123456", NULL, &imp),
             AO_RESULT_NULL_ARGUMENT);
    CHECK_RC(ao_engine_impersonate_with_consent(engine, token, "DE--1", NULL, "123456", IP, NULL),
             AO_RESULT_NULL_ARGUMENT);
    CHECK_RC(ao_engine_impersonate_with_consent(engine, token, "DE--1", NULL, "12345\xff", IP, &imp),
             AO_RESULT_INVALID_UTF8);
    CHECK(imp == NULL);

    ao_token_response_free(agent);
    ao_engine_free(engine);
}

/* A code lives `consent_ttl` seconds. */
static void expired_code(const char *key_path) {
    ao_engine *engine = engine_with(key_path, "{\"require_customer_consent\":true,\"consent_ttl\":1}", NULL);
    ao_token_response *agent = login(engine);
    char code[7];
    create_code(engine, de1, NULL, 1, code);
    next_second();
    ao_token_response *imp = NULL;
    CHECK_RC(ao_engine_impersonate_with_consent(engine, ao_token_response_access_token(agent), "DE--1", NULL,
                                                code, IP, &imp),
             AO_RESULT_IMPERSONATION_FAILED);
    CHECK(imp == NULL);
    char *events = audit(engine);
    CHECK_CONTAINS(events, "\"policy\":\"require_customer_consent: consent code expired\"");
    ao_string_free(events);
    ao_token_response_free(agent);
    ao_engine_free(engine);
}

/* 9 wrong codes block this agent for this customer, even with the right
 * code; another customer is not blocked. */
static void wrong_code_lockout(const char *key_path) {
    ao_engine *engine =
        engine_with(key_path, "{\"require_customer_consent\":true,\"consent_ttl\":300}", NULL);
    ao_token_response *agent = login(engine);
    const char *token = ao_token_response_access_token(agent);
    char good[7], wrong[16];
    create_code(engine, de1, NULL, 300, good);
    other_than(good, wrong);
    ao_token_response *imp = NULL;
    for (int i = 0; i < 9; i++) {
        CHECK_RC(ao_engine_impersonate_with_consent(engine, token, "DE--1", "SUP-3", wrong, IP, &imp),
                 AO_RESULT_IMPERSONATION_FAILED);
        CHECK(imp == NULL);
    }
    CHECK_RC(ao_engine_impersonate_with_consent(engine, token, "DE--1", "SUP-3", good, IP, &imp),
             AO_RESULT_IMPERSONATION_FAILED);
    CHECK(imp == NULL);
    /* Through Glue as well. */
    char bearer[2100], body[512];
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    impersonation_body(body, sizeof body, "DE--1", NULL, good);
    answer a = request(engine, "POST", IMPERSONATION, NULL, "X-Agent-Authorization", bearer, body);
    CHECK(a.status == 401);
    CHECK_STR(a.body, IMPERSONATION_FAILED);
    free(a.body);

    char *events = audit(engine);
    CHECK(count(events, "\"policy\":\"require_customer_consent: wrong consent code\"") == 8);
    CHECK(count(events, "\"policy\":\"require_customer_consent: wrong consent code; the 9th failure blocks "
                        "this agent for this customer for 360 s\"") == 1);
    CHECK(count(events, "\"policy\":\"require_customer_consent: too many wrong codes from this agent for "
                        "this customer, blocked for 360 s\"") == 2);
    CHECK(count(events, "\"kind\":\"impersonation_denied\"") == 11);
    ao_string_free(events);

    /* DE--2 is not blocked for this agent. */
    char other[7];
    create_code(engine, de2, NULL, 300, other);
    CHECK_OK(ao_engine_impersonate_with_consent(engine, token, "DE--2", NULL, other, IP, &imp));
    ao_token_response_free(imp);
    ao_token_response_free(agent);
    ao_engine_free(engine);
}

/* Only a customer's own token may create a code or list sessions. */
static void customer_only(const char *key_path) {
    ao_engine *engine = engine_with(key_path, "{}", NULL);
    ao_token_response *agent = login(engine);
    ao_token_response *imp = NULL;
    CHECK_OK(ao_engine_impersonate(engine, ao_token_response_access_token(agent), "DE--1", NULL, IP, &imp));
    char agent_bearer[2100], imp_bearer[2100];
    snprintf(agent_bearer, sizeof agent_bearer, "Bearer %s", ao_token_response_access_token(agent));
    snprintf(imp_bearer, sizeof imp_bearer, "Bearer %s", ao_token_response_access_token(imp));

    const char *methods[2] = {"POST", "GET"};
    const char *paths[2] = {CONSENTS, SESSIONS};
    for (int i = 0; i < 2; i++) {
        const char *bearers[2] = {agent_bearer, imp_bearer};
        for (int j = 0; j < 2; j++) {
            answer a = request(engine, methods[i], paths[i], NULL, "Authorization", bearers[j], NULL);
            CHECK(a.status == 403);
            CHECK_STR(a.content_type, "application/vnd.api+json");
            CHECK_STR(a.body, CUSTOMER_ONLY);
            free(a.body);
        }
        answer a = request(engine, methods[i], paths[i], NULL, NULL, NULL, NULL);
        CHECK(a.status == 403);
        CHECK_STR(a.body, MISSING_TOKEN);
        free(a.body);
        a = request(engine, methods[i], paths[i], NULL, "Authorization", "Bearer broken", NULL);
        CHECK(a.status == 401);
        CHECK_CONTAINS(a.body, "\"code\":\"001\"");
        free(a.body);
    }
    CHECK_STR(ao_result_name(AO_RESULT_CUSTOMER_ONLY), "AO_RESULT_CUSTOMER_ONLY");
    CHECK(ao_result_http_status(AO_RESULT_CUSTOMER_ONLY) == 403);
    CHECK_STR(ao_result_glue_code(AO_RESULT_CUSTOMER_ONLY), "4105");

    ao_token_response_free(imp);
    ao_token_response_free(agent);
    ao_engine_free(engine);
}

/* The sessions on DE--1's account: its own only, newest first, with the
 * agent, reason and status, and D14 paging links. */
static void session_list(const char *key_path) {
    ao_engine *engine = engine_with(key_path, "{}", NULL);
    ao_token_response *agent = login(engine);
    const char *token = ao_token_response_access_token(agent);
    ao_token_response *first = NULL, *second = NULL, *other = NULL;
    CHECK_OK(ao_engine_impersonate(engine, token, "DE--1", "SUP-1", IP, &first));
    next_second();
    CHECK_OK(ao_engine_impersonate(engine, token, "DE--1", "SUP-2", IP, &second));
    size_t revoked = 0;
    CHECK_OK(ao_engine_revoke(engine, token, ao_token_response_refresh_token(second), IP, &revoked));
    CHECK(revoked == 1);
    CHECK_OK(ao_engine_impersonate(engine, token, "DE--2", "SUP-9", IP, &other));

    answer a = request(engine, "GET", SESSIONS, NULL, "Authorization", de1, NULL);
    CHECK(a.status == 200);
    CHECK_STR(a.content_type, "application/vnd.api+json");
    CHECK_CONTAINS(a.body, "{\"data\":[{\"type\":\"customer-impersonation-sessions\",\"id\":\"");
    CHECK(count(a.body, "\"type\":\"customer-impersonation-sessions\"") == 2);
    char id[32];
    json_string(a.body, "id", id, sizeof id);
    CHECK(strlen(id) == 16);
    for (int i = 0; i < 16; i++) CHECK(isxdigit((unsigned char)id[i]) && !isupper((unsigned char)id[i]));
    CHECK_CONTAINS(a.body, "\"attributes\":{\"agent\":\"admin@spryker.com\",\"reason\":\"SUP-2\",\"startedAt\":\"20");
    CHECK_CONTAINS(a.body, "Z\",\"status\":\"revoked\"}}");
    CHECK_CONTAINS(a.body, "\"attributes\":{\"agent\":\"admin@spryker.com\",\"reason\":\"SUP-1\",\"startedAt\":\"20");
    CHECK_CONTAINS(a.body, "Z\",\"endedAt\":null,\"status\":\"active\"}}");
    CHECK(strstr(a.body, "SUP-2") < strstr(a.body, "SUP-1"));
    CHECK(strstr(a.body, "SUP-9") == NULL);
    CHECK_CONTAINS(a.body, "],\"links\":{\"self\":\"https://glue.example.com/customer-impersonation-sessions\","
                           "\"last\":\"https://glue.example.com/customer-impersonation-sessions?page[offset]=0&page[limit]=10\","
                           "\"first\":\"https://glue.example.com/customer-impersonation-sessions?page[offset]=0&page[limit]=10\"}}");
    free(a.body);

    /* Page 1 of 2. */
    a = request(engine, "GET", SESSIONS, "page[offset]=0&page[limit]=1", "Authorization", de1, NULL);
    CHECK(a.status == 200);
    CHECK(count(a.body, "\"type\":\"customer-impersonation-sessions\"") == 1);
    CHECK_CONTAINS(a.body, "\"reason\":\"SUP-2\"");
    CHECK_CONTAINS(a.body, "\"links\":{\"self\":\"https://glue.example.com/customer-impersonation-sessions?page[offset]=0&page[limit]=1\","
                           "\"last\":\"https://glue.example.com/customer-impersonation-sessions?page[offset]=1&page[limit]=1\","
                           "\"first\":\"https://glue.example.com/customer-impersonation-sessions?page[offset]=0&page[limit]=1\","
                           "\"next\":\"https://glue.example.com/customer-impersonation-sessions?page[offset]=1&page[limit]=1\"}}");
    free(a.body);
    /* Page 2 of 2. */
    a = request(engine, "GET", SESSIONS, "page[offset]=1&page[limit]=1", "Authorization", de1, NULL);
    CHECK(a.status == 200);
    CHECK(count(a.body, "\"type\":\"customer-impersonation-sessions\"") == 1);
    CHECK_CONTAINS(a.body, "\"reason\":\"SUP-1\",\"startedAt\":\"20");
    CHECK_CONTAINS(a.body, "\"links\":{\"self\":\"https://glue.example.com/customer-impersonation-sessions?page[offset]=1&page[limit]=1\","
                           "\"last\":\"https://glue.example.com/customer-impersonation-sessions?page[offset]=1&page[limit]=1\","
                           "\"first\":\"https://glue.example.com/customer-impersonation-sessions?page[offset]=0&page[limit]=1\","
                           "\"prev\":\"https://glue.example.com/customer-impersonation-sessions?page[offset]=0&page[limit]=1\"}}");
    free(a.body);
    /* As Spryker (D14), a limit counts only with an offset. */
    a = request(engine, "GET", SESSIONS, "page[limit]=1", "Authorization", de1, NULL);
    CHECK(a.status == 200);
    CHECK(count(a.body, "\"type\":\"customer-impersonation-sessions\"") == 2);
    CHECK_CONTAINS(a.body, "\"first\":\"https://glue.example.com/customer-impersonation-sessions?page[offset]=0&page[limit]=10\"");
    free(a.body);
    a = request(engine, "GET", SESSIONS, "page[offset]=0&page[limit]=0", "Authorization", de1, NULL);
    CHECK(a.status == 400);
    CHECK_STR(a.body, "Pagination parameters are invalid.");
    free(a.body);

    /* DE--2 sees its one session only. */
    a = request(engine, "GET", SESSIONS, NULL, "Authorization", de2, NULL);
    CHECK(a.status == 200);
    CHECK(count(a.body, "\"type\":\"customer-impersonation-sessions\"") == 1);
    CHECK_CONTAINS(a.body, "\"attributes\":{\"agent\":\"admin@spryker.com\",\"reason\":\"SUP-9\",\"startedAt\":\"20");
    CHECK_CONTAINS(a.body, "Z\",\"endedAt\":null,\"status\":\"active\"}}");
    CHECK(strstr(a.body, "SUP-1") == NULL && strstr(a.body, "SUP-2") == NULL);
    free(a.body);

    ao_token_response_free(other);
    ao_token_response_free(second);
    ao_token_response_free(first);
    ao_token_response_free(agent);
    ao_engine_free(engine);
}

/* `impersonation.agent_display`: the agent's id, or nobody. */
static void agent_display(const char *key_path) {
    const char *configs[2] = {"{\"agent_display\":\"id\"}", "{\"agent_display\":\"none\"}"};
    for (int i = 0; i < 2; i++) {
        int64_t agent_id = 0;
        ao_engine *engine = engine_with(key_path, configs[i], &agent_id);
        ao_token_response *agent = login(engine);
        ao_token_response *imp = NULL;
        CHECK_OK(ao_engine_impersonate(engine, ao_token_response_access_token(agent), "DE--1", NULL, IP, &imp));
        answer a = request(engine, "GET", SESSIONS, NULL, "Authorization", de1, NULL);
        CHECK(a.status == 200);
        char expected[64];
        if (i == 0) {
            snprintf(expected, sizeof expected, "\"attributes\":{\"agent\":\"%lld\",\"reason\":null,",
                     (long long)agent_id);
        } else {
            snprintf(expected, sizeof expected, "\"attributes\":{\"agent\":null,\"reason\":null,");
        }
        CHECK_CONTAINS(a.body, expected);
        CHECK(strstr(a.body, "admin@spryker.com") == NULL);
        free(a.body);
        ao_token_response_free(imp);
        ao_token_response_free(agent);
        ao_engine_free(engine);
    }
}

static void bad_values(const char *key_path) {
    const char *bad[] = {
        "\"impersonation\":{\"consent_ttl\":0}",
        "\"impersonation\":{\"consent_ttl\":86401}",
        "\"impersonation\":{\"agent_display\":\"email\"}",
        "\"impersonation\":{\"require_customer_consent\":\"yes\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *config = test_config(key_path, ":memory:", bad[i]);
        ao_engine *engine = NULL;
        CHECK_RC(ao_engine_new(config, NULL, &engine), AO_RESULT_CONFIG);
        CHECK(engine == NULL);
        free(config);
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s <test-only private key path> <DE--1 token path> <DE--2 token path>\n",
                argv[0]);
        return 2;
    }
    read_bearer(argv[2], de1, sizeof de1);
    read_bearer(argv[3], de2, sizeof de2);
    consent_used_once(argv[1]);
    consent_through_glue(argv[1]);
    expired_code(argv[1]);
    wrong_code_lockout(argv[1]);
    customer_only(argv[1]);
    session_list(argv[1]);
    agent_display(argv[1]);
    bad_values(argv[1]);
    printf("ok: customer consent and impersonation sessions through the C ABI\n");
    return 0;
}
