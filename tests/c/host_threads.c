/*
 * A host directory written in C (D19): the shop answers "find agent", "find
 * customer" and "search" from its own tables through callbacks, stores
 * re-hashed passwords, and one engine serves several pthreads at once.
 * Failing or malformed callbacks are AO_RESULT_DIRECTORY, never 4101, and
 * never count toward lockout.
 *
 * Usage: host_threads <test-only private key path>
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>

#include "check.h"

static const char *IP = "203.0.113.7";

/* argon2id of "change123" with the test parameters (m=256, t=1, p=1), and
 * with m=512, which the engine replaces after a login (write-back). */
static const char *HASH = "$argon2id$v=19$m=256,t=1,p=1$1nzXXt60kbWgTUtGy5oC9g$mRWajljTWAvk68YXRXxvG1S0zBSHvYV9yW6+sThh18c";
static const char *OUTDATED_HASH = "$argon2id$v=19$m=512,t=1,p=1$CJTg+lY3mJ9yYZKJ0kUnLw$ph706Tzh/hU7PDeMxqvgV4IWA391dlVuhz9zfdjGlH8";

enum failure { WORKS, FAILS, SAYS_OK_WITHOUT_ANSWER, ANSWERS_GARBAGE };

typedef struct {
    int64_t id;
    char username[64];
    char hash[128];
    const char *status;
} agent_row;

typedef struct {
    int64_t id;
    char reference[16];
    char email[64];
    char first_name[32];
    char last_name[32];
    int active;
} customer_row;

#define CUSTOMERS 30

typedef struct {
    agent_row agents[3];
    customer_row customers[CUSTOMERS];
    enum failure agent_failure;
    enum failure customer_failure;
    pthread_mutex_t lock; /* guards the counters and the re-hash */
    int agent_lookups;
    int customer_lookups;
    int searches;
    int rehashes;
    int freed;
} shop;

static void count(shop *s, int *counter) {
    pthread_mutex_lock(&s->lock);
    (*counter)++;
    pthread_mutex_unlock(&s->lock);
}

/* Writes `json` into the library's buffer (which copies it). */
static int answer(ao_buffer *out, const char *json) {
    CHECK_OK(ao_buffer_set(out, json, strlen(json)));
    return AO_HOST_OK;
}

static int forced(enum failure f, ao_buffer *out) {
    switch (f) {
    case FAILS: return AO_HOST_ERROR;
    case SAYS_OK_WITHOUT_ANSWER: return AO_HOST_OK;
    case ANSWERS_GARBAGE: return answer(out, "{\"id\":");
    default: return -1;
    }
}

static int find_agent(void *user_data, const char *username, ao_buffer *out) {
    shop *s = user_data;
    count(s, &s->agent_lookups);
    if (s->agent_failure != WORKS) return forced(s->agent_failure, out);
    for (size_t i = 0; i < 3; i++) {
        const agent_row *a = &s->agents[i];
        if (strcmp(a->username, username) != 0) continue;
        char json[512];
        pthread_mutex_lock(&s->lock);
        snprintf(json, sizeof json, "{\"id\":%lld,\"username\":\"%s\",\"password_hash\":\"%s\",\"status\":\"%s\"}",
                 (long long)a->id, a->username, a->hash, a->status);
        pthread_mutex_unlock(&s->lock);
        /* The JSON is on this stack frame: the library copies it. */
        return answer(out, json);
    }
    return AO_HOST_NOT_FOUND;
}

static void customer_json(const customer_row *c, char *json, size_t size) {
    snprintf(json, size,
             "{\"id_customer\":%lld,\"customer_reference\":\"%s\",\"email\":\"%s\",\"first_name\":\"%s\","
             "\"last_name\":\"%s\",\"id_company_user\":null,\"permissions\":null,\"is_active\":%s}",
             (long long)c->id, c->reference, c->email, c->first_name, c->last_name, c->active ? "true" : "false");
}

static int find_customer(void *user_data, const char *reference, ao_buffer *out) {
    shop *s = user_data;
    count(s, &s->customer_lookups);
    if (s->customer_failure != WORKS) return forced(s->customer_failure, out);
    for (size_t i = 0; i < CUSTOMERS; i++) {
        if (strcmp(s->customers[i].reference, reference) != 0) continue;
        char json[512];
        customer_json(&s->customers[i], json, sizeof json);
        return answer(out, json);
    }
    return AO_HOST_NOT_FOUND;
}

static int prefix(const char *s, const char *p) {
    for (; *p != '\0'; s++, p++)
        if (tolower((unsigned char)*s) != tolower((unsigned char)*p)) return 0;
    return 1;
}

/* Spryker's rule (ASCII here): prefix of e-mail, first or last name, or equal reference. */
static int search_customers(void *user_data, const char *q, uint32_t offset, uint32_t limit, ao_buffer *out) {
    shop *s = user_data;
    count(s, &s->searches);
    size_t size = 256 + (size_t)limit * 512, used = 0, total = 0, emitted = 0;
    char *json = malloc(size);
    if (json == NULL) return AO_HOST_ERROR;
    used += (size_t)snprintf(json, size, "{\"customers\":[");
    for (size_t i = 0; i < CUSTOMERS; i++) {
        const customer_row *c = &s->customers[i];
        if (!(prefix(c->email, q) || prefix(c->first_name, q) || prefix(c->last_name, q) ||
              strcmp(c->reference, q) == 0))
            continue;
        if (total++ < offset || emitted == limit) continue;
        char one[512];
        customer_json(c, one, sizeof one);
        used += (size_t)snprintf(json + used, size - used, "%s%s", emitted++ ? "," : "", one);
    }
    snprintf(json + used, size - used, "],\"total\":%zu}", total);
    int status = answer(out, json);
    free(json); /* the host frees its memory whenever it likes */
    return status;
}

static int update_password_hash(void *user_data, int64_t agent_id, const char *username, const char *new_hash) {
    shop *s = user_data;
    for (size_t i = 0; i < 3; i++) {
        agent_row *a = &s->agents[i];
        if (a->id != agent_id || strcmp(a->username, username) != 0) continue;
        pthread_mutex_lock(&s->lock);
        snprintf(a->hash, sizeof a->hash, "%s", new_hash);
        s->rehashes++;
        pthread_mutex_unlock(&s->lock);
        return AO_HOST_OK;
    }
    return AO_HOST_NOT_FOUND;
}

static int freed_shops;

static void free_shop(void *user_data) {
    shop *s = user_data;
    pthread_mutex_destroy(&s->lock);
    free(s);
    freed_shops++;
}

static shop *new_shop(void) {
    shop *s = calloc(1, sizeof *s);
    CHECK(s != NULL);
    pthread_mutex_init(&s->lock, NULL);
    s->agents[0] = (agent_row){7, "admin@spryker.com", "", "active"};
    s->agents[1] = (agent_row){8, "blocked@spryker.com", "", "blocked"};
    s->agents[2] = (agent_row){9, "outdated@spryker.com", "", "active"};
    snprintf(s->agents[0].hash, sizeof s->agents[0].hash, "%s", HASH);
    snprintf(s->agents[1].hash, sizeof s->agents[1].hash, "%s", HASH);
    snprintf(s->agents[2].hash, sizeof s->agents[2].hash, "%s", OUTDATED_HASH);
    for (int i = 0; i < CUSTOMERS; i++) {
        customer_row *c = &s->customers[i];
        c->id = i + 1;
        snprintf(c->reference, sizeof c->reference, "DE--%d", i + 1);
        snprintf(c->email, sizeof c->email, "customer%d@example.com", i + 1);
        snprintf(c->first_name, sizeof c->first_name, "First%d", i + 1);
        snprintf(c->last_name, sizeof c->last_name, "Last%d", i + 1);
        c->active = i + 1 != 2;
    }
    return s;
}

static ao_host_directory directory(shop *s) {
    ao_host_directory d = {s, find_agent, find_customer, search_customers, update_password_hash, free_shop};
    return d;
}

static ao_result login(const ao_engine *engine, const char *username, const char *password, ao_token_response **out) {
    ao_token_response *t = NULL;
    ao_result rc = ao_engine_agent_login(engine, username, password, IP, &t);
    if (out != NULL) *out = t;
    else ao_token_response_free(t);
    return rc;
}

/* ---- several threads on one engine ---- */

#define THREADS 4
#define ROUNDS 3

typedef struct {
    const ao_engine *engine;
    int index;
    const char *agent_token;
    int failures;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    char reference[16];
    for (int round = 0; round < ROUNDS; round++) {
        snprintf(reference, sizeof reference, "DE--%d", 3 + (w->index * ROUNDS + round) % 20);
        ao_token_response *t = NULL;
        if (ao_engine_impersonate(w->engine, w->agent_token, reference, "thread test", IP, &t) != AO_RESULT_OK) {
            w->failures++;
            continue;
        }
        ao_claims *claims = NULL;
        if (ao_engine_verify_strict(w->engine, ao_token_response_access_token(t), &claims) != AO_RESULT_OK ||
            strcmp(ao_claims_customer_reference(claims), reference) != 0)
            w->failures++;
        ao_claims_free(claims);
        ao_token_response *next = NULL;
        if (ao_engine_refresh(w->engine, ao_token_response_refresh_token(t), IP, &next) != AO_RESULT_OK) w->failures++;
        size_t revoked = 0;
        if (ao_engine_revoke(w->engine, w->agent_token, ao_token_response_refresh_token(next), IP, &revoked) !=
                AO_RESULT_OK || revoked != 1)
            w->failures++;
        ao_token_response_free(next);
        ao_token_response_free(t);
        char *json = NULL;
        if (ao_engine_search_customers(w->engine, "customer1", 0, 5, &json) != AO_RESULT_OK ||
            strstr(json, "\"total\":11") == NULL)
            w->failures++;
        ao_string_free(json);
        /* A failure on this thread: its message is this thread's. */
        if (ao_engine_impersonate(w->engine, w->agent_token, "DE--2", NULL, IP, &t) != AO_RESULT_IMPERSONATION_FAILED ||
            strcmp(ao_engine_last_error(w->engine), "Failed to impersonate a customer.") != 0)
            w->failures++;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s KEY_PATH\n", argv[0]);
        return 2;
    }
    char *config = test_config(argv[1], ":memory:", "\"lockout\":{\"max_failures\":2,\"window\":900,\"block\":360}");

    /* A directory without callbacks is refused, and user_data stays ours. */
    shop *s = new_shop();
    ao_host_directory d = {s, NULL, NULL, NULL, NULL, free_shop};
    ao_engine *engine = NULL;
    CHECK_RC(ao_engine_new(config, &d, &engine), AO_RESULT_INVALID_ARGUMENT);
    CHECK_STR(ao_last_error(), "host directory: set find_agent, find_customer or both");
    d = directory(s);
    d.find_customer = NULL;
    CHECK_RC(ao_engine_new(config, &d, &engine), AO_RESULT_INVALID_ARGUMENT);
    d = directory(s);
    CHECK_RC(ao_engine_new("{}", &d, &engine), AO_RESULT_CONFIG);
    CHECK(engine == NULL && freed_shops == 0);

    CHECK_OK(ao_engine_new(config, &d, &engine));
    free(config);
    CHECK_OK(ao_engine_install_scopes(engine, NULL));

    /* Agents come from the host. */
    CHECK_RC(login(engine, "nobody@spryker.com", "change123", NULL), AO_RESULT_AUTHENTICATION_FAILED);
    CHECK_RC(login(engine, "blocked@spryker.com", "change123", NULL), AO_RESULT_AUTHENTICATION_FAILED);
    ao_token_response *agent = NULL;
    CHECK_OK(login(engine, "admin@spryker.com", "change123", &agent));
    const char *agent_token = ao_token_response_access_token(agent);
    ao_claims *claims = NULL;
    CHECK_OK(ao_engine_verify(engine, agent_token, &claims));
    int64_t agent_id = 0;
    CHECK_OK(ao_claims_agent_id(claims, &agent_id));
    CHECK(agent_id == 7);
    ao_claims_free(claims);

    /* An outdated hash is replaced through update_password_hash. */
    CHECK_OK(login(engine, "outdated@spryker.com", "change123", NULL));
    CHECK(s->rehashes == 1);
    CHECK(strncmp(s->agents[2].hash, "$argon2id$v=19$m=256,t=1,p=1$", 29) == 0);
    CHECK_OK(login(engine, "outdated@spryker.com", "change123", NULL));
    CHECK(s->rehashes == 1);

    /* Customers come from the host. */
    char *json = NULL;
    CHECK_OK(ao_engine_find_customer(engine, "DE--12", &json));
    CHECK_CONTAINS(json, "\"email\":\"customer12@example.com\"");
    ao_string_free(json);
    CHECK_OK(ao_engine_search_customers(engine, "LAST2", 10, 10, &json));
    CHECK_CONTAINS(json, "\"total\":11");
    CHECK_CONTAINS(json, "{\"customers\":[{\"id_customer\":29,");
    ao_string_free(json);
    ao_token_response *t = NULL;
    CHECK_RC(ao_engine_impersonate(engine, agent_token, "DE--2", NULL, IP, &t), AO_RESULT_IMPERSONATION_FAILED);
    CHECK_RC(ao_engine_impersonate(engine, agent_token, "DE--99", NULL, IP, &t), AO_RESULT_IMPERSONATION_FAILED);

    /* A failing host: AO_RESULT_DIRECTORY, not 4101, and no lockout. */
    const enum failure failures[] = {FAILS, SAYS_OK_WITHOUT_ANSWER, ANSWERS_GARBAGE};
    const char *messages[] = {"find_agent failed with status 2", "without calling ao_buffer_set", "malformed JSON"};
    for (size_t i = 0; i < 3; i++) {
        s->agent_failure = failures[i];
        for (int attempt = 0; attempt < 3; attempt++) {
            CHECK_RC(login(engine, "admin@spryker.com", "change123", NULL), AO_RESULT_DIRECTORY);
            CHECK_CONTAINS(ao_engine_last_error(engine), messages[i]);
        }
        ao_glue_response *r = NULL;
        const char *body = "{\"data\":{\"type\":\"agent-access-tokens\",\"attributes\":"
                           "{\"username\":\"admin@spryker.com\",\"password\":\"change123\"}}}";
        CHECK_OK(ao_engine_handle_glue(engine, "POST", "/agent-access-tokens", NULL, NULL, NULL, 0,
                                       (const uint8_t *)body, strlen(body), IP, &r));
        CHECK(ao_glue_response_status(r) == 500);
        ao_glue_response_free(r);
    }
    s->agent_failure = WORKS;
    CHECK_OK(login(engine, "admin@spryker.com", "change123", NULL));
    s->customer_failure = FAILS;
    CHECK_RC(ao_engine_impersonate(engine, agent_token, "DE--5", NULL, IP, &t), AO_RESULT_DIRECTORY);
    CHECK_STR(ao_engine_last_error(engine), "Directory error: find_customer failed with status 2");
    s->customer_failure = WORKS;
    CHECK(t == NULL);
    CHECK_RC(ao_buffer_set(NULL, "x", 1), AO_RESULT_NULL_ARGUMENT);

    /* Threads share the engine; the callbacks run concurrently. */
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){engine, i, agent_token, 0};
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].failures == 0);
    }
    CHECK(s->searches == 1 + THREADS * ROUNDS);
    CHECK_OK(ao_engine_audit_query(engine, "{\"agent_id\":7}", &json));
    CHECK_CONTAINS(json, "\"reason\":\"thread test\"");
    ao_string_free(json);

    int agent_lookups = s->agent_lookups, customer_lookups = s->customer_lookups, searches = s->searches;
    ao_token_response_free(agent);
    ao_engine_free(engine); /* frees the shop through free_user_data */
    CHECK(freed_shops == 1);
    printf("ok: host_threads (%d agent lookups, %d customer lookups, %d searches)\n", agent_lookups,
           customer_lookups, searches);
    return 0;
}
