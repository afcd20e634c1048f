/*
 * Tiny assertion helpers shared by the C test programs. A failed check
 * prints where and why (with the library's last error) and exits 1.
 */
#ifndef AO_TEST_CHECK_H
#define AO_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_oauth.h"

static inline void check_fail(const char *file, int line, const char *what) {
    const char *last = ao_last_error();
    fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", file, line, what,
            last != NULL ? last : "none");
    exit(1);
}

static inline void check_rc(const char *file, int line, const char *call, ao_result got,
                            ao_result expected) {
    if (got != expected) {
        char what[512];
        snprintf(what, sizeof what, "%s returned %s, expected %s", call, ao_result_name(got),
                 ao_result_name(expected));
        check_fail(file, line, what);
    }
}

static inline void check_str(const char *file, int line, const char *expr, const char *got,
                             const char *expected) {
    if (got == NULL || expected == NULL ? got != expected : strcmp(got, expected) != 0) {
        char what[1024];
        snprintf(what, sizeof what, "%s is \"%s\", expected \"%s\"", expr,
                 got != NULL ? got : "(NULL)", expected != NULL ? expected : "(NULL)");
        check_fail(file, line, what);
    }
}

#define CHECK(cond) \
    do { \
        if (!(cond)) check_fail(__FILE__, __LINE__, #cond); \
    } while (0)
#define CHECK_RC(call, expected) check_rc(__FILE__, __LINE__, #call, (call), (expected))
#define CHECK_OK(call) CHECK_RC(call, AO_RESULT_OK)
#define CHECK_STR(expr, expected) check_str(__FILE__, __LINE__, #expr, (expr), (expected))
#define CHECK_CONTAINS(haystack, needle) \
    do { \
        const char *h_ = (haystack); \
        if (h_ == NULL || strstr(h_, (needle)) == NULL) \
            check_fail(__FILE__, __LINE__, #haystack " contains " #needle); \
    } while (0)

/* The configuration every test uses: the committed test-only key, cheap
 * argon2 (D24) and `extra` keys appended (may be ""). */
static inline char *test_config(const char *key_path, const char *database, const char *extra) {
    size_t size = strlen(key_path) + strlen(database) + strlen(extra) + 256;
    char *json = malloc(size);
    CHECK(json != NULL);
    snprintf(json, size,
             "{\"private_key_path\":\"%s\",\"database_path\":\"%s\","
             "\"argon2\":{\"memory_kib\":256,\"iterations\":1,\"parallelism\":1}%s%s}",
             key_path, database, extra[0] != '\0' ? "," : "", extra);
    return json;
}

#endif /* AO_TEST_CHECK_H */
