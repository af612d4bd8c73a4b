/* /admin/: the console's files, served from the table compiled into the broker.  A path names
 * one of those files or nothing: no path ever reaches the file system. */
#include <string.h>

#include "mg_assets.h"
#include "mg_int.h"

static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".html") == 0) return "text/html; charset=utf-8";
    if (dot && strcmp(dot, ".css") == 0) return "text/css; charset=utf-8";
    if (dot && strcmp(dot, ".js") == 0) return "text/javascript; charset=utf-8";
    if (dot && strcmp(dot, ".svg") == 0) return "image/svg+xml";
    return "application/octet-stream";
}

int mg_console(mg_req_t *r)
{
    const char *name = r->path + strlen("/admin/");
    if (!*name)
        name = "index.html";
    for (size_t i = 0; i < mg_nassets; i++) {
        if (strcmp(mg_assets[i].name, name) == 0) {
            hm_wbuf_put(&r->out, mg_assets[i].data, mg_assets[i].len);
            r->type = type_of(name);
            return 200;
        }
    }
    return mg_fail(r, 404, "no such page: %.80s", r->path);
}
