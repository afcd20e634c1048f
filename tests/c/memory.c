/*
 * Memory of a long-lived host process (issue 10): agent logins with the
 * DEFAULT argon2 parameters (m=19456 KiB, t=2, p=1) through libagent_oauth,
 * all in one process. Each verification hashes into memory the engine maps
 * for it and returns to the system afterwards, so the resident set after
 * 1,000 logins stays within 4 MiB of its value after the first 10. RSS is
 * read from /proc/self/statm.
 *
 * Run natively, not under valgrind: valgrind would measure its own memory,
 * and 1,000 default verifications would take it many minutes.
 *
 * Usage: memory <test-only private key path> <scratch directory> [logins]
 * Prints "ok: ..." with the figures and exits 0, or exits 1.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <unistd.h>

#include "check.h"

static const char *IP = "203.0.113.7";
static const char *AGENT = "admin@spryker.com";
static const char *PASSWORD = "change123";

/* The largest growth allowed after the first 10 logins. */
static const long LIMIT_KIB = 4 * 1024;

/* Resident set size in KiB, from the second field of /proc/self/statm. */
static long rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    CHECK(f != NULL);
    long size = 0, resident = 0;
    CHECK(fscanf(f, "%ld %ld", &size, &resident) == 2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s <private key path> <scratch directory> [logins]\n", argv[0]);
        return 2;
    }
    long logins = argc > 3 ? strtol(argv[3], NULL, 10) : 1000;
    CHECK(logins > 10);

    /* No "argon2" key: the defaults, as a shop runs them. */
    char config[4096];
    snprintf(config, sizeof config,
             "{\"private_key_path\":\"%s\",\"database_path\":\"%s/memory.db\"}", argv[1], argv[2]);
    ao_engine *engine = NULL;
    CHECK_OK(ao_engine_new(config, NULL, &engine));
    CHECK_OK(ao_engine_install_scopes(engine, NULL));
    CHECK_OK(ao_engine_add_agent(engine, AGENT, PASSWORD, AO_AGENT_STATUS_ACTIVE, NULL));

    long start = rss_kib(), after_10 = 0;
    for (long i = 1; i <= logins; i++) {
        ao_token_response *tokens = NULL;
        CHECK_OK(ao_engine_agent_login(engine, AGENT, PASSWORD, IP, &tokens));
        CHECK(ao_token_response_access_token(tokens) != NULL);
        ao_token_response_free(tokens);
        if (i == 10) {
            after_10 = rss_kib();
        }
    }
    long end = rss_kib();
    long delta = end - after_10;
    ao_engine_free(engine);

    printf("%s: RSS %ld KiB before the first login, %ld KiB after 10 logins, %ld KiB after %ld "
           "(%+ld KiB)\n",
           labs(delta) <= LIMIT_KIB ? "ok" : "failed", start, after_10, end, logins, delta);
    return labs(delta) <= LIMIT_KIB ? 0 : 1;
}
