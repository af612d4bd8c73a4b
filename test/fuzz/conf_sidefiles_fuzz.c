/* libFuzzer target for the files a configuration names besides itself: the first byte picks
 * a Java .properties file (credentials, users, groups), a JAAS login.config read for the
 * password or the certificate plugin, or a Jasypt ENC() value; the rest is that file.  Any
 * bytes must be refused or accepted without crashing, leaking or reading out of bounds. */
#include <stdint.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "cfg_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    if (size < 1 || size > CFG_MAX_SIDE_FILE_BYTES)
        return 0;
    apr_pool_t *p;
    apr_pool_create(&p, root);
    const char *text = apr_pstrmemdup(p, (const char *)data + 1, size - 1);
    char err[512];
    switch (data[0] % 4) {
    case 0: {
        apr_hash_t *h;
        if (cfg_props_parse(p, "fuzz.properties", text, size - 1, &h, err, sizeof err) == APR_SUCCESS)
            (void)apr_hash_get(h, "activemq.password", APR_HASH_KEY_STRING);
        break;
    }
    case 1:
    case 2: {
        cfg_jaas_t j;
        memset(&j, 0, sizeof j);
        j.configuration = "activemq";
        j.login_config = "/fuzz/login.config";
        j.certificates = data[0] % 4 == 2;
        (void)cfg_jaas_parse(&j, p, text, size - 1, err, sizeof err);
        break;
    }
    default: {
        const char *plain;
        (void)cfg_jasypt_decrypt(p, "activemq", text, &plain);
        break;
    }
    }
    apr_pool_destroy(p);
    return 0;
}
