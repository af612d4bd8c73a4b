/* Unit tests for the shared basics: the bounded reader and the output buffer. */
#include <CUnit/Basic.h>
#include <stdlib.h>

#include "hm_rd.h"
#include "hm_wbuf.h"

static void test_reader_reads_big_endian(void)
{
    const uint8_t b[] = { 1, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4 };
    hm_rd_t rd;
    hm_rd_init(&rd, b, sizeof b);
    CU_ASSERT_EQUAL(hm_rd_u8(&rd), 1);
    CU_ASSERT_EQUAL(hm_rd_be16(&rd), 2);
    CU_ASSERT_EQUAL(hm_rd_be32(&rd), 3);
    CU_ASSERT_EQUAL(hm_rd_be64(&rd), 4);
    CU_ASSERT_EQUAL(rd.err, APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_rd_left(&rd), 0);
}

static void test_reader_short_is_incomplete_and_sticky(void)
{
    const uint8_t b[] = { 1, 2, 3 };
    hm_rd_t rd;
    hm_rd_init(&rd, b, sizeof b);
    CU_ASSERT_EQUAL(hm_rd_be32(&rd), 0);
    CU_ASSERT_EQUAL(rd.err, HM_EINCOMPLETE);
    CU_ASSERT_EQUAL(hm_rd_u8(&rd), 0);          /* sticky: even one byte fails now */
    CU_ASSERT_EQUAL(rd.err, HM_EINCOMPLETE);
}

static void test_subreader_rejects_oversized_length(void)
{
    const uint8_t b[] = { 0, 0, 0, 9, 'a', 'b' };
    hm_rd_t rd;
    hm_rd_init_whole(&rd, b, sizeof b);
    uint32_t n = hm_rd_be32(&rd);
    hm_rd_t sub = hm_rd_sub(&rd, n);
    CU_ASSERT_EQUAL(rd.err, HM_EMALFORMED);
    CU_ASSERT_NOT_EQUAL(sub.err, APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_rd_left(&sub), 0);
}

static void test_subreader_end_is_malformed(void)
{
    const uint8_t b[] = { 'a', 'b', 'c' };
    hm_rd_t rd;
    hm_rd_init(&rd, b, sizeof b);
    hm_rd_t sub = hm_rd_sub(&rd, 2);
    hm_rd_be32(&sub);
    CU_ASSERT_EQUAL(sub.err, HM_EMALFORMED);
    CU_ASSERT_EQUAL(rd.err, APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_rd_u8(&rd), 'c');
}

static void test_wbuf_grows_and_enforces_max(void)
{
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, 1000);
    for (int i = 0; i < 250; i++)
        hm_wbuf_be32(&wb, (uint32_t)i);
    CU_ASSERT_EQUAL(wb.err, APR_SUCCESS);
    CU_ASSERT_EQUAL(wb.len, 1000);
    CU_ASSERT_EQUAL(wb.data[999], 249);
    hm_wbuf_u8(&wb, 1);
    CU_ASSERT_EQUAL(wb.err, HM_ETOOBIG);
    CU_ASSERT_EQUAL(wb.len, 1000);
    hm_wbuf_patch_be32(&wb, 0, 0x01020304);
    hm_wbuf_free(&wb);
}

static void test_strerror_names_codes(void)
{
    CU_ASSERT_STRING_EQUAL(hm_strerror(HM_EMALFORMED), "malformed input");
    CU_ASSERT_PTR_NOT_NULL(hm_strerror(APR_ENOMEM));
}

int main(void)
{
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("base", NULL, NULL);
    CU_add_test(s, "reader reads big-endian integers", test_reader_reads_big_endian);
    CU_add_test(s, "short read is incomplete and sticky", test_reader_short_is_incomplete_and_sticky);
    CU_add_test(s, "sub-reader rejects a length past the end", test_subreader_rejects_oversized_length);
    CU_add_test(s, "sub-reader end is malformed", test_subreader_end_is_malformed);
    CU_add_test(s, "write buffer grows and enforces its max", test_wbuf_grows_and_enforces_max);
    CU_add_test(s, "strerror names hermod codes", test_strerror_names_codes);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
