/* What the content tests of each protocol share (amqp_mapping_test.c, openwire_content_test.c):
 * a test protocol whose form is the neutral content itself, a message "from" it with every
 * header set, and the check that a message mapped through a protocol and back kept them. */
#ifndef CONTENT_TEST_UTIL_H
#define CONTENT_TEST_UTIL_H

#include <CUnit/Basic.h>
#include <string.h>

#include "hm_core.h"

#define TEST_QUEUE "neutral.q"

static apr_status_t test_content(const void *data, apr_pool_t *pool, hm_content_t *out)
{
    *out = *(const hm_content_t *)data;
    return APR_SUCCESS;
}

static const hm_msg_origin_t test_origin = { .protocol = "test", .content = test_content };

/* A message of the test protocol on TEST_QUEUE; c is copied (its entries must outlive it). */
static inline hm_msg_t *test_message(const hm_content_t *c)
{
    void *extra;
    hm_msg_t *m = hm_msg_new(sizeof(hm_content_t), &extra);
    memcpy(extra, c, sizeof *c);
    m->dest = (hm_dname_t){ HM_QUEUE, TEST_QUEUE };
    m->message_id = "ID:test-1:1:1:1";
    m->correlation_id = "corr-\xe2\x98\x83";
    m->type = "order";
    m->group_id = "g1";
    m->group_seq = 3;
    m->reply_to = (hm_dname_t){ HM_TOPIC, "replies" };
    m->priority = 7;
    m->persistent = 1;
    m->expiration = 1893456000000LL;
    m->timestamp = 1796600000000LL;
    m->origin = &test_origin;
    m->origin_data = extra;
    return m;
}

/* back, m mapped through a protocol and read again, has m's headers. */
static inline void check_same_headers(const hm_msg_t *back, const hm_msg_t *m)
{
    CU_ASSERT_STRING_EQUAL(back->dest.name, TEST_QUEUE);
    CU_ASSERT_EQUAL(back->dest.kind, HM_QUEUE);
    CU_ASSERT_STRING_EQUAL(back->message_id, m->message_id);
    CU_ASSERT_STRING_EQUAL(back->correlation_id, m->correlation_id);
    CU_ASSERT_STRING_EQUAL(back->type, "order");
    CU_ASSERT_STRING_EQUAL(back->group_id, "g1");
    CU_ASSERT_EQUAL(back->group_seq, 3);
    CU_ASSERT_EQUAL(back->reply_to.kind, HM_TOPIC);
    CU_ASSERT_STRING_EQUAL(back->reply_to.name, "replies");
    CU_ASSERT_EQUAL(back->priority, 7);
    CU_ASSERT_EQUAL(back->persistent, 1);
    CU_ASSERT_EQUAL(back->expiration, m->expiration);
    CU_ASSERT_EQUAL(back->timestamp, m->timestamp);
}

#endif
