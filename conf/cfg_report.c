/* Messages that name the place: "<file>:<line>: <element>: attribute "x": what is wrong".
 * Errors go to the caller's buffer; warnings and notes to the log callback. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "cfg_int.h"

int cfg_line(const xmlNode *node, const xmlAttr *attr)
{
    if (attr && attr->_private)
        return (int)(uintptr_t)attr->_private;
    if (node && node->_private)
        return (int)(uintptr_t)node->_private;
    return node ? (int)xmlGetLineNo(node) : 0;
}

static void vformat(cfg_ctx_t *ctx, char *buf, size_t len, int line, const xmlNode *node,
                    const xmlAttr *attr, const char *fmt, va_list ap)
{
    size_t n = 0;
    int m;
    if (len == 0)
        return;
    buf[0] = '\0';
    m = line > 0 ? snprintf(buf, len, "%s:%d: ", ctx->name, line)
                 : snprintf(buf, len, "%s: ", ctx->name);
    n = m < 0 ? 0 : (size_t)m;
    if (node && n < len) {
        m = snprintf(buf + n, len - n, "<%s>: ", (const char *)node->name);
        n += m < 0 ? 0 : (size_t)m;
    }
    if (attr && n < len) {
        m = snprintf(buf + n, len - n, "attribute \"%s\": ", (const char *)attr->name);
        n += m < 0 ? 0 : (size_t)m;
    }
    if (attr && ctx->option && n < len) {
        m = snprintf(buf + n, len - n, "option \"%s\": ", ctx->option);
        n += m < 0 ? 0 : (size_t)m;
    }
    if (n < len)
        vsnprintf(buf + n, len - n, fmt, ap);
}

apr_status_t cfg_fail(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                      apr_status_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(ctx, ctx->err, ctx->errlen, cfg_line(node, attr), node, attr, fmt, ap);
    va_end(ap);
    return code;
}

apr_status_t cfg_fail_at(cfg_ctx_t *ctx, int line, apr_status_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(ctx, ctx->err, ctx->errlen, line, NULL, NULL, fmt, ap);
    va_end(ap);
    return code;
}

static void emit(cfg_ctx_t *ctx, hm_log_level_e level, const char *msg)
{
    if (ctx->opts->log)
        ctx->opts->log(ctx->opts->log_baton, level, msg);
    else
        hm_log(level, "%s", msg);
}

apr_status_t cfg_warn(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                      const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vformat(ctx, msg, sizeof msg, cfg_line(node, attr), node, attr, fmt, ap);
    va_end(ap);
    if (ctx->opts->strict) {
        snprintf(ctx->err, ctx->errlen, "%s (a warning; refused in strict mode)", msg);
        return CFG_ESTRICT;
    }
    emit(ctx, HM_LOG_WARN, msg);
    return APR_SUCCESS;
}

void cfg_info(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vformat(ctx, msg, sizeof msg, cfg_line(node, attr), node, attr, fmt, ap);
    va_end(ap);
    emit(ctx, HM_LOG_INFO, msg);
}
