/* libFuzzer target for the selector library: compiles the input (up to the first NUL byte) as
 * a selector and, if valid, evaluates it over a few messages whose text body is the rest of
 * the input, so parsing, evaluation, LIKE and the XPATH/XML path are all exercised. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "sel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fmsg_s {
    int kind;
    const char *body;
    size_t body_len;
} fmsg_t;

static void get(void *mp, const char *name, size_t len, sel_value_t *out)
{
    const fmsg_t *m = mp;
    out->type = SEL_NULL;
    if (len == 0) return;
    /* the value's type follows the name's first letter and the message, to meet every type */
    switch ((name[0] + m->kind) % 10) {
    case 0: out->type = SEL_BOOL; out->u.b = (int)(len & 1); break;
    case 1: out->type = SEL_BYTE; out->u.l = -128 + (int64_t)len; break;
    case 2: out->type = SEL_SHORT; out->u.l = 300 * (int64_t)len; break;
    case 3: out->type = SEL_INT; out->u.l = 2147483647 - (int64_t)len; break;
    case 4: out->type = SEL_LONG; out->u.l = INT64_MIN + (int64_t)len; break;
    case 5: out->type = SEL_FLOAT; out->u.d = (double)(1.1f * (float)len); break;
    case 6: out->type = SEL_DOUBLE; out->u.d = len > 3 ? 0.0 / 0.0 : -0.0; break;
    case 7: out->type = SEL_STRING; out->u.s.p = name; out->u.s.len = len; break;
    case 8: out->type = SEL_STRING; out->u.s.p = m->body; out->u.s.len = m->body_len; break;
    default: break;
    }
}

static int text_body(void *mp, const char **text, size_t *len)
{
    const fmsg_t *m = mp;
    if (m->kind == 2) return 0;
    *text = m->body;
    *len = m->body_len;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    if (!root) {
        apr_initialize();
        sel_global_init();
        apr_pool_create(&root, NULL);
    }
    const char *text = (const char *)data;
    const uint8_t *nul = memchr(data, 0, size);
    size_t sel_len = nul ? (size_t)(nul - data) : size;
    const char *body = nul ? (const char *)nul + 1 : "";
    size_t body_len = nul ? size - sel_len - 1 : 0;

    apr_pool_t *pool;
    apr_pool_create(&pool, root);
    sel_expr_t *e;
    char err[200];
    if (sel_compile(pool, text, sel_len, &e, err, sizeof err) == APR_SUCCESS) {
        static const sel_accessor_t acc = { get, text_body };
        for (int k = 0; k < 3; k++) {
            fmsg_t m = { k, body, body_len };
            sel_eval(e, &acc, &m);
            sel_eval3(e, &acc, &m);
        }
        const char *const *names;
        const size_t *lens;
        sel_identifiers(e, &names, &lens);
    } else if (memchr(err, 0, sizeof err) == NULL) {
        abort();                                   /* the message must be NUL-terminated */
    }
    apr_pool_destroy(pool);
    return 0;
}
