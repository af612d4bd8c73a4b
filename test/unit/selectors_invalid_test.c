/* Invalid selectors: each refused with ActiveMQ's kind of error and the problem's column. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "sel.h"
#include "sel_limits.h"

static apr_pool_t *pool;

static const struct { const char *sel; apr_status_t st; const char *msg; } invalid[] = {
    { "i = 5 AND", SEL_ESYNTAX, "unexpected end of selector at column 10: expected an expression" },
    { "AND i = 5", SEL_ESYNTAX, "unexpected 'AND' at column 1: expected an expression" },
    { "i = 5 and and s = 'x'", SEL_ESYNTAX, "unexpected 'and' at column 11: expected an expression" },
    { "i = = 5", SEL_ESYNTAX, "at column 5" },
    { "i != 5", SEL_ESYNTAX, "unexpected character '!' at column 3" },
    { "(i = 5", SEL_ESYNTAX, "column 7: expected ')'" },
    { "i = 5)", SEL_ESYNTAX, "unexpected ')' at column 6" },
    { "i = 'abc", SEL_ESYNTAX, "unterminated string at column 5" },
    { "i = 5 /* comment", SEL_ESYNTAX, "unexpected '*' at column 8" },
    { "i = 5\n  AND", SEL_ESYNTAX, "at line 2, column 6" },
    { "i IS 5", SEL_ESYNTAX, "column 6: expected NULL or NOT NULL after IS" },
    { "i IS NOT", SEL_ESYNTAX, "expected NULL after IS NOT" },
    { "s IN ()", SEL_ESYNTAX, "column 7: expected a string in the IN list" },
    { "s IN (1, 2)", SEL_ESYNTAX, "expected a string in the IN list" },
    { "s IN ('a',)", SEL_ESYNTAX, "column 11" },
    { "s LIKE s", SEL_ESYNTAX, "expected a string pattern after LIKE" },
    { "XPATH 5", SEL_ESYNTAX, "expected a string" },
    { "019 = 1", SEL_ESYNTAX, "unexpected '9' at column 3" },
    { "5F = 5", SEL_ESYNTAX, "unexpected 'F' at column 2" },
    { "0x = 0", SEL_ESYNTAX, "unexpected 'x' at column 2" },
    { "a.b = 1", SEL_ESYNTAX, "unexpected character '.' at column 2" },
    { "", SEL_ESYNTAX, "unexpected end of selector at column 1" },
    { "   ", SEL_ESYNTAX, "end of selector" },
    { "i = 5 -- no line end, so two minus signs", SEL_ESYNTAX, "" },
    { "0x8000000000000000 > 0", SEL_ETYPE, "too large for a long at column 1" },
    { "01777777777777777777777 > 0", SEL_ETYPE, "too large" },
    { "s < 'abc'", SEL_ETYPE, "only numbers can be compared with <, <=, > or >= at column 5" },
    { "1 < TRUE", SEL_ETYPE, "only numbers" },
    { "NULL < 1", SEL_ETYPE, "only numbers" },
    { "1 < 2 < 3", SEL_ETYPE, "a condition cannot be compared" },
    { "NOT i > 1", SEL_ETYPE, "a condition cannot be compared" },
    { "i = NULL", SEL_ETYPE, "NULL cannot be compared with = or <> (use IS NULL) at column 5" },
    { "NULL <> i", SEL_ETYPE, "NULL cannot be compared" },
    { "TRUE = 1", SEL_ETYPE, "a boolean literal cannot be compared" },
    { "'abc' IN ('abc')", SEL_ETYPE, "IN needs a property" },
    { "NOT s IN ('abc')", SEL_ETYPE, "IN needs a property" },
    { "s LIKE 'a%' ESCAPE 'xy'", SEL_ETYPE, "ESCAPE string must be exactly one character" },
    { "s LIKE 'a%' ESCAPE ''", SEL_ETYPE, "ESCAPE string" },
    { "s LIKE '\t\t' ESCAPE '\t'", SEL_ETYPE, "invalid pattern" },
    { "1 + 2", SEL_ETYPE, "will not result in a boolean value" },
    { "'abc'", SEL_ETYPE, "will not result in a boolean value" },
    { "-i", SEL_ETYPE, "will not result in a boolean value" },
    { "NOT 5", SEL_ETYPE, "will not result in a boolean value" },
    { "i + 1 AND t", SEL_ETYPE, "will not result in a boolean value" },
    { "1 + 2 AND t", SEL_ETYPE, "will not result in a boolean value at column 1" },
    { "t AND (i = 5) + 1", SEL_ETYPE, "will not result in a boolean value at column 8" },
    { "i = 5 AND \xc3\xa9 = 1", SEL_ESYNTAX, "unexpected character '\xc3\xa9' (U+00E9) at column 11" },
    { "i = 5 \x01", SEL_ESYNTAX, "control character 0x01 at column 7" },
    { "foo(1)", SEL_EUNSUPP, "function calls (foo) are not supported at column 1" },
};

static void test_invalid(void)
{
    for (size_t k = 0; k < sizeof invalid / sizeof invalid[0]; k++) {
        sel_expr_t *e = (sel_expr_t *)1;
        char err[256];
        apr_status_t st = sel_compile(pool, invalid[k].sel, strlen(invalid[k].sel), &e, err, sizeof err);
        if (st != invalid[k].st || !strstr(err, invalid[k].msg) || e != NULL)
            printf("\n  %s: status %d, message '%s'", invalid[k].sel, st - SEL_ERRBASE, err);
        CU_ASSERT_EQUAL(st, invalid[k].st);
        CU_ASSERT(SEL_IS_INVALID(st));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, invalid[k].msg));
        CU_ASSERT_PTR_NULL(e);
    }
}

int main(void)
{
    apr_initialize();
    sel_global_init();
    apr_pool_create(&pool, NULL);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("selectors: invalid", NULL, NULL);
    CU_add_test(s, "invalid selectors name the problem and column", test_invalid);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(pool);
    apr_terminate();
    return failed ? 1 : 0;
}
