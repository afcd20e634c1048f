/*
 * The Glue handler through the C ABI: the agent-assist resources as a shop's
 * HTTP front end forwards them (D1, D10), with Spryker's statuses, codes,
 * headers and bodies.
 *
 * Usage: glue <test-only private key path>
 */
#include <stdint.h>

#include "check.h"

static const char *IP = "203.0.113.7";

typedef struct {
    uint16_t status;
    char *body; /* malloc'd copy */
    char content_type[64];
} answer;

/* One request; the response is copied out and freed at once. */
static answer request(const ao_engine *engine, const char *method, const char *path, const char *query,
                      const char *header_name, const char *header_value, const char *body) {
    const char *names[1] = {header_name};
    const char *values[1] = {header_value};
    size_t header_count = header_name != NULL ? 1 : 0;
    ao_glue_response *response = NULL;
    CHECK_OK(ao_engine_handle_glue(engine, method, path, query, header_count ? names : NULL,
                                   header_count ? values : NULL, header_count, (const uint8_t *)body,
                                   body != NULL ? strlen(body) : 0, IP, &response));
    answer a = {ao_glue_response_status(response), NULL, ""};
    size_t len = 0;
    const uint8_t *bytes = ao_glue_response_body(response, &len);
    a.body = malloc(len + 1);
    CHECK(a.body != NULL);
    memcpy(a.body, bytes, len);
    a.body[len] = '\0';
    CHECK(bytes[len] == 0);
    const char *type = ao_glue_response_header(response, "content-type");
    if (type != NULL) snprintf(a.content_type, sizeof a.content_type, "%s", type);
    for (size_t i = 0; i < ao_glue_response_header_count(response); i++) {
        CHECK(ao_glue_response_header_name(response, i) != NULL);
        CHECK(ao_glue_response_header_value(response, i) != NULL);
    }
    CHECK(ao_glue_response_header_name(response, ao_glue_response_header_count(response)) == NULL);
    ao_glue_response_free(response);
    return a;
}

/* Copies the JSON string value after `"key":"` into `out`. */
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

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s KEY_PATH\n", argv[0]);
        return 2;
    }
    char *config = test_config(argv[1], ":memory:", "\"glue_base_url\":\"https://glue.example.com\"");
    ao_engine *engine = NULL;
    CHECK_OK(ao_engine_new(config, NULL, &engine));
    free(config);
    CHECK_OK(ao_engine_install_scopes(engine, NULL));
    CHECK_OK(ao_engine_add_agent(engine, "admin@spryker.com", "change123", AO_AGENT_STATUS_ACTIVE, NULL));
    CHECK_OK(ao_engine_upsert_customer(engine,
        "{\"id_customer\":5,\"customer_reference\":\"DE--5\",\"email\":\"spencor.hopkin@spryker.com\","
        "\"first_name\":\"Spencor\",\"last_name\":\"Hopkin\",\"is_active\":true}"));

    /* Login. */
    answer a = request(engine, "POST", "/agent-access-tokens", NULL, "Content-Type", "application/json",
        "{\"data\":{\"type\":\"agent-access-tokens\",\"attributes\":"
        "{\"username\":\"admin@spryker.com\",\"password\":\"change123\"}}}");
    CHECK(a.status == 201);
    CHECK_STR(a.content_type, "application/vnd.api+json");
    CHECK_CONTAINS(a.body, "\"links\":{\"self\":\"https://glue.example.com/agent-access-tokens\"}");
    char agent_token[2048], agent_refresh[128], bearer[2100];
    json_string(a.body, "accessToken", agent_token, sizeof agent_token);
    json_string(a.body, "refreshToken", agent_refresh, sizeof agent_refresh);
    snprintf(bearer, sizeof bearer, "Bearer %s", agent_token);
    free(a.body);

    /* A wrong password: 401 with Spryker's body. */
    a = request(engine, "POST", "/agent-access-tokens", NULL, NULL, NULL,
        "{\"data\":{\"type\":\"agent-access-tokens\",\"attributes\":{\"username\":\"admin@spryker.com\",\"password\":\"x\"}}}");
    CHECK(a.status == 401);
    CHECK_STR(a.body, "{\"errors\":[{\"code\":\"4101\",\"status\":401,\"detail\":\"Failed to authenticate an agent.\"}]}");
    free(a.body);

    /* Search with percent-encoded paging. */
    a = request(engine, "GET", "/agent-customer-search", "q=spencor&page%5Boffset%5D=0&page%5Blimit%5D=5",
                "X-Agent-Authorization", bearer, NULL);
    CHECK(a.status == 200);
    CHECK_CONTAINS(a.body, "\"customers\":[{\"customerReference\":\"DE--5\",\"email\":\"spencor.hopkin@spryker.com\"");
    free(a.body);
    a = request(engine, "GET", "/agent-customer-search", "page[offset]=x&page[limit]=5", "X-Agent-Authorization", bearer, NULL);
    CHECK(a.status == 400);
    CHECK_STR(a.body, "Pagination parameters are invalid.");
    free(a.body);
    a = request(engine, "GET", "/agent-customer-search", NULL, "X-Agent-Authorization", "Bearer broken", NULL);
    CHECK(a.status == 401);
    CHECK_CONTAINS(a.body, "\"code\":\"4102\"");
    free(a.body);

    /* Impersonation. */
    a = request(engine, "POST", "/agent-customer-impersonation-access-tokens", NULL, "X-Agent-Authorization", bearer,
        "{\"data\":{\"type\":\"agent-customer-impersonation-access-tokens\",\"attributes\":{\"customerReference\":\"DE--5\"}}}");
    CHECK(a.status == 201);
    char customer_token[2048], customer_refresh[128];
    json_string(a.body, "accessToken", customer_token, sizeof customer_token);
    json_string(a.body, "refreshToken", customer_refresh, sizeof customer_refresh);
    free(a.body);
    ao_claims *claims = NULL;
    CHECK_OK(ao_engine_verify_strict(engine, customer_token, &claims));
    CHECK(ao_claims_act_sub(claims) != NULL);
    ao_claims_free(claims);
    a = request(engine, "POST", "/agent-customer-impersonation-access-tokens", NULL, NULL, NULL,
        "{\"data\":{\"type\":\"agent-customer-impersonation-access-tokens\",\"attributes\":{\"customerReference\":\"DE--5\"}}}");
    CHECK(a.status == 401);
    CHECK_STR(a.body, "{\"errors\":[{\"status\":401,\"code\":\"4103\",\"detail\":\"Action is available to agent user only.\"}]}");
    free(a.body);
    a = request(engine, "POST", "/agent-customer-impersonation-access-tokens", NULL, "X-Agent-Authorization", bearer,
        "{\"data\":{\"type\":\"agent-customer-impersonation-access-tokens\",\"attributes\":{\"customerReference\":\"DE--9\"}}}");
    CHECK(a.status == 401);
    CHECK_CONTAINS(a.body, "\"code\":\"4104\"");
    free(a.body);

    /* Bodies: malformed, wrong type, empty refresh token. */
    a = request(engine, "POST", "/refresh-tokens", NULL, NULL, NULL, "{not json");
    CHECK(a.status == 400);
    CHECK_STR(a.body, "{\"errors\":[{\"detail\":\"Post data is invalid.\",\"status\":400}]}");
    free(a.body);
    a = request(engine, "POST", "/refresh-tokens", NULL, NULL, NULL, "{\"data\":{\"type\":\"x\",\"attributes\":{}}}");
    CHECK(a.status == 400);
    CHECK_CONTAINS(a.body, "Invalid type.");
    free(a.body);
    a = request(engine, "POST", "/refresh-tokens", NULL, NULL, NULL,
                "{\"data\":{\"type\":\"refresh-tokens\",\"attributes\":{\"refreshToken\":\"\"}}}");
    CHECK(a.status == 422);
    CHECK_STR(a.body, "{\"errors\":[{\"code\":\"901\",\"status\":422,\"detail\":\"refreshToken => This value should not be blank.\"}]}");
    free(a.body);

    /* Refresh, then the spent token is 004. */
    char refresh_body[512];
    snprintf(refresh_body, sizeof refresh_body,
             "{\"data\":{\"type\":\"refresh-tokens\",\"attributes\":{\"refreshToken\":\"%s\"}}}", customer_refresh);
    a = request(engine, "POST", "/refresh-tokens", NULL, NULL, NULL, refresh_body);
    CHECK(a.status == 201);
    free(a.body);
    a = request(engine, "POST", "/refresh-tokens", NULL, NULL, NULL, refresh_body);
    CHECK(a.status == 401);
    CHECK_CONTAINS(a.body, "\"code\":\"004\"");
    free(a.body);

    /* Introspection, JWKS, unknown routes. */
    char form[2200];
    snprintf(form, sizeof form, "token=%s", agent_refresh);
    a = request(engine, "POST", "/token-introspection", NULL, "Authorization", bearer, form);
    CHECK(a.status == 200);
    CHECK_STR(a.content_type, "application/json");
    CHECK_CONTAINS(a.body, "{\"active\":true,\"scope\":\"agent\"");
    free(a.body);
    a = request(engine, "GET", "/.well-known/jwks.json", NULL, NULL, NULL, NULL);
    CHECK(a.status == 200);
    CHECK_CONTAINS(a.body, "{\"keys\":[{");
    free(a.body);
    a = request(engine, "PATCH", "/agent-access-tokens", NULL, NULL, NULL, NULL);
    CHECK(a.status == 404);
    free(a.body);

    /* Revocation: no Authorization is 403/002; mine ends the agent's sessions. */
    a = request(engine, "DELETE", "/refresh-tokens/mine", NULL, NULL, NULL, NULL);
    CHECK(a.status == 403);
    CHECK_CONTAINS(a.body, "\"code\":\"002\"");
    free(a.body);
    a = request(engine, "DELETE", "/refresh-tokens/mine", NULL, "Authorization", bearer, NULL);
    CHECK(a.status == 204);
    CHECK_STR(a.body, "");
    free(a.body);
    a = request(engine, "GET", "/agent-customer-search", NULL, "X-Agent-Authorization", bearer, NULL);
    CHECK(a.status == 401);
    CHECK_CONTAINS(a.body, "\"code\":\"4102\"");
    free(a.body);

    /* Arguments the handler refuses before any request is made. */
    ao_glue_response *none = NULL;
    CHECK_RC(ao_engine_handle_glue(engine, "GET", "/", NULL, NULL, NULL, 3, NULL, 0, IP, &none), AO_RESULT_NULL_ARGUMENT);
    CHECK_RC(ao_engine_handle_glue(engine, "GET", "/", NULL, NULL, NULL, 0, NULL, 0, NULL, &none), AO_RESULT_NULL_ARGUMENT);
    CHECK_STR(ao_engine_last_error(engine), "client_ip must not be NULL");
    CHECK_RC(ao_engine_handle_glue(engine, "G\xe9T", "/", NULL, NULL, NULL, 0, NULL, 0, IP, &none), AO_RESULT_INVALID_UTF8);
    CHECK(none == NULL);
    ao_glue_response_free(NULL);

    ao_engine_free(engine);
    printf("ok: glue\n");
    return 0;
}
