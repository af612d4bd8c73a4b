/* ActiveMQ's /admin/xml/queues.jsp, for the monitoring scripts that read it: the same elements
 * and attributes (size is ActiveMQ's QueueSize: pending plus in flight). */
#include <string.h>

#include "mg_int.h"

/* The name as ActiveMQ's encodedName puts it in a URL path (percent-encoded but for
 * unreserved characters), then escaped for XML. */
static void encoded_name(hm_wbuf_t *w, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            hm_wbuf_u8(w, *p);
        else
            mg_printf(w, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
}

int mg_queues_jsp(mg_req_t *r)
{
    apr_array_header_t *a;
    hm_admin_dests(r->b, r->pool, &a);
    hm_wbuf_t *w = &r->out;
    mg_puts(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<queues>\n");
    for (int i = 0; i < a->nelts; i++) {
        const hm_admin_dest_t *d = &APR_ARRAY_IDX(a, i, hm_admin_dest_t);
        if (d->name.kind != HM_QUEUE)
            continue;
        mg_puts(w, "<queue name=\"");
        mg_xml_str(w, d->name.name, strlen(d->name.name));
        mg_printf(w, "\">\n  <stats size=\"%llu\"\n         consumerCount=\"%llu\"\n"
                  "         enqueueCount=\"%llu\"\n         dequeueCount=\"%llu\"/>\n  <feed>\n"
                  "    <atom>queueBrowse/", (unsigned long long)(d->pending + d->inflight),
                  (unsigned long long)d->consumers, (unsigned long long)d->enqueued,
                  (unsigned long long)d->dequeued);
        encoded_name(w, d->name.name);
        mg_puts(w, "?view=rss&amp;feedType=atom_1.0</atom>\n    <rss>queueBrowse/");
        encoded_name(w, d->name.name);
        mg_puts(w, "?view=rss&amp;feedType=rss_2.0</rss>\n  </feed>\n</queue>\n");
    }
    mg_puts(w, "</queues>\n");
    r->type = "text/xml; charset=utf-8";
    return 200;
}
