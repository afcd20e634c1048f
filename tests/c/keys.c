/*
 * The shop's key as Spryker holds it (issue 13, D31), through the C ABI: a
 * path, a `file://` path, PEM contents under `private_key_path` (as Spryker
 * keeps them under OauthConstants::PRIVATE_KEY_PATH), the same with the
 * docker SDK's `__LINE__` for newlines, and `__LINE__` contents as
 * `private_key_pem`. Every form gives the same key id.
 *
 * Usage: keys <test-only private key path>
 */
#include "check.h"

/* The file's contents as a JSON string body: newlines written as `nl`
 * ("\\n" for JSON escapes, "__LINE__" for the docker SDK's form). */
static char *read_encoded(const char *path, const char *nl) {
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    char raw[8192];
    size_t n = fread(raw, 1, sizeof raw - 1, f);
    fclose(f);
    raw[n] = '\0';
    while (n > 0 && raw[n - 1] == '\n') raw[--n] = '\0';
    char *out = malloc(n * 9 + 1);
    CHECK(out != NULL);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] == '\n') {
            memcpy(out + o, nl, strlen(nl));
            o += strlen(nl);
        } else {
            out[o++] = raw[i];
        }
    }
    out[o] = '\0';
    return out;
}

static char *kid_of(const char *config) {
    ao_engine *engine = NULL;
    CHECK_OK(ao_engine_new(config, NULL, &engine));
    char *kid = NULL;
    CHECK_OK(ao_engine_kid(engine, &kid));
    ao_engine_free(engine);
    return kid;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <test-only private key path>\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    char *escaped = read_encoded(path, "\\n");
    char *lined = read_encoded(path, "__LINE__");
    size_t size = strlen(escaped) + strlen(lined) + strlen(path) + 512;
    char *config = malloc(size);
    CHECK(config != NULL);

    snprintf(config, size, "{\"database_path\":\":memory:\",\"private_key_path\":\"%s\"}", path);
    char *expected = kid_of(config);
    const char *forms[] = {
        "{\"database_path\":\":memory:\",\"private_key_path\":\"file://%s\"}",
        "{\"database_path\":\":memory:\",\"private_key_path\":\"%s\"}",
        "{\"database_path\":\":memory:\",\"private_key_path\":\"%s\"}",
        "{\"database_path\":\":memory:\",\"private_key_pem\":\"%s\"}",
    };
    const char *values[] = {path, escaped, lined, lined};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        snprintf(config, size, forms[i], values[i]);
        char *kid = kid_of(config);
        CHECK_STR(kid, expected);
        ao_string_free(kid);
    }

    /* A value that is neither contents nor a readable path: an error that
     * does not echo it. */
    snprintf(config, size, "{\"database_path\":\":memory:\",\"private_key_path\":\"%s\"}", lined + 31);
    ao_engine *engine = NULL;
    CHECK_RC(ao_engine_new(config, NULL, &engine), AO_RESULT_CONFIG);
    CHECK_CONTAINS(ao_last_error(), "neither PEM contents nor a readable path");
    CHECK(strstr(ao_last_error(), "__LINE__") == NULL);

    ao_string_free(expected);
    free(config);
    free(escaped);
    free(lined);
    printf("ok: the key as a path, a file:// path and PEM contents\n");
    return 0;
}
