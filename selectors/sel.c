/* sel.c — the library's entry points around the parser and evaluator. */
#include <string.h>

#include "sel_int.h"

apr_status_t sel_compile(apr_pool_t *pool, const char *text, size_t len, sel_expr_t **out,
                         char *err, size_t errlen)
{
    *out = NULL;
    if (!text) len = 0;
    sel_expr_t *ex = apr_pcalloc(pool, sizeof *ex);
    apr_status_t st = sel_parse(pool, text ? text : "", len, ex, err, errlen);
    if (st != APR_SUCCESS) return st;
    *out = ex;
    return APR_SUCCESS;
}

int sel_is_blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] > ' ') return 0;
    return 1;
}

size_t sel_identifiers(const sel_expr_t *e, const char *const **names, const size_t **lens)
{
    *names = e->ids;
    *lens = e->id_lens;
    return e->nids;
}

int sel_uses_body(const sel_expr_t *e)
{
    return e->uses_body;
}
