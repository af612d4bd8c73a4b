/* Type descriptors: lookup by code, names, constraint sets, and the ow status describer. */
#include <stdarg.h>
#include <stdio.h>

#include "ow_int.h"

const ow_type_desc_t *ow_desc(uint8_t type)
{
    return ow_type_by_code[type];
}

const ow_type_desc_t *ow_desc_v(uint8_t type, int version)
{
    const ow_type_desc_t *d = ow_desc(type);
    return d && d->min_ver <= version ? d : NULL;
}

int ow_cons_allows(uint8_t cons, uint8_t type)
{
    if (cons == 0)
        return ow_desc(type) != NULL;
    return (ow_constraints[cons][type >> 3] >> (type & 7)) & 1;
}

const char *ow_type_name(uint8_t type)
{
    const ow_type_desc_t *d = ow_desc(type);
    return d ? d->name : "unknown";
}

int ow_type_is_command(uint8_t type)
{
    const ow_type_desc_t *d = ow_desc(type);
    return d && d->is_command;
}

apr_status_t ow_fail(ow_wire_t *w, apr_status_t st, const char *fmt, ...)
{
    if (w) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err, sizeof w->err, fmt, ap);
        va_end(ap);
    }
    return st;
}

static const char *describe(apr_status_t st)
{
    switch (st) {
    case OW_EUNKNOWN_TYPE: return "OpenWire: unknown data structure type";
    case OW_EBAD_TYPE: return "OpenWire: data structure type not allowed here";
    case OW_EBAD_MAGIC: return "OpenWire: bad WireFormatInfo magic";
    case OW_EBAD_CACHE_INDEX: return "OpenWire: marshal cache index out of range";
    case OW_EVERSION: return "OpenWire: unsupported protocol version";
    case OW_EUNAVAILABLE: return "OpenWire: feature unavailable";
    default: return NULL;
    }
}

void ow_status_init(void)
{
    hm_status_register(1, describe);
}
