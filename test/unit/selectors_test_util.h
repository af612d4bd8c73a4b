/* What the selector test executables share. */
#ifndef SELECTORS_TEST_UTIL_H
#define SELECTORS_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

/* pre + n times unit + post, malloc'd: selectors and bodies of a given size. */
static inline char *repeat(const char *pre, const char *unit, size_t n, const char *post)
{
    size_t ul = strlen(unit), pl = strlen(pre);
    char *b = malloc(pl + ul * n + strlen(post) + 1);
    memcpy(b, pre, pl);
    for (size_t i = 0; i < n; i++) memcpy(b + pl + i * ul, unit, ul);
    strcpy(b + pl + ul * n, post);
    return b;
}

#endif
