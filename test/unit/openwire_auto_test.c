/* auto:// on a real socket (issue 13): one listener serves OpenWire and a line-based test
 * protocol, telling them apart by their first bytes; bytes of neither close the connection; a
 * connection that never finishes its handshake is closed at the deadline and may buffer no more
 * than the pre-handshake limit meanwhile, while the others are served. */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_thread_proc.h>

#include "hm_limits.h"
#include "hm_log.h"
#include "hm_server.h"
#include "ow_adapter.h"
#include "ow_codec.h"

#define PORT 62970

static apr_pool_t *root;
static hm_server_t *srv;
static apr_thread_t *loop_thread;

/* ---- the test protocol: "ECHO <text>\n" answers "<text>\n" */

static int echo_sniff(const uint8_t *p, size_t len)
{
    size_t n = len < 4 ? len : 4;
    if (memcmp(p, "ECHO", n) != 0)
        return 0;
    return len < 4 ? -1 : 1;
}

static apr_status_t echo_open(hm_conn_t *conn, void **state)
{
    *state = conn;
    return APR_SUCCESS;
}

static apr_status_t echo_input(void *state, const uint8_t *p, size_t len, size_t *used)
{
    hm_conn_t *conn = state;
    const uint8_t *nl = memchr(p, '\n', len);
    *used = 0;
    if (!nl)
        return APR_SUCCESS;
    if (len < 5 || memcmp(p, "ECHO ", 5) != 0)
        return HM_EPROTO;
    hm_conn_handshake_done(conn);
    size_t n = (size_t)(nl - p) - 5 + 1;
    uint8_t *out = malloc(n);
    memcpy(out, p + 5, n);
    hm_conn_send(conn, out, n);
    *used = (size_t)(nl - p) + 1;
    return APR_SUCCESS;
}

static void echo_close(void *state) { }

static const hm_proto_t echo_protocol = { "echo", echo_sniff, echo_open, echo_input, NULL, echo_close, NULL };

/* ---- plumbing */

static void *APR_THREAD_FUNC run_server(apr_thread_t *t, void *arg)
{
    hm_server_run(srv);
    return NULL;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    return fd;
}

/* Reads what arrives within ms; returns the byte count, -1 once the peer closed (EOF/reset). */
static int read_for(int fd, uint8_t *buf, size_t cap, int ms, int *closed)
{
    size_t got = 0;
    *closed = 0;
    while (got < cap) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, ms) <= 0)
            break;
        ssize_t r = recv(fd, buf + got, cap - got, 0);
        if (r <= 0) {
            *closed = 1;
            break;
        }
        got += (size_t)r;
    }
    return (int)got;
}

static int closed_within(int fd, int ms)
{
    uint8_t buf[4096];
    int closed;
    apr_time_t end = apr_time_now() + apr_time_from_msec(ms);
    while (apr_time_now() < end) {
        read_for(fd, buf, sizeof buf, 50, &closed);
        if (closed)
            return 1;
    }
    return 0;
}

static int suite_init(void)
{
    hm_log_set_level(HM_LOG_ERROR);
    apr_pool_create(&root, NULL);
    hm_broker_opts_t bo = { .name = "auto" };
    hm_broker_t *b;
    if (hm_broker_create(root, &bo, &b) || hm_server_create(root, b, 1, &srv))
        return 1;
    hm_broker_register_codec(b, ow_msg_codec());
    const hm_proto_t *protos[] = { ow_protocol(), &echo_protocol };
    hm_listen_opts_t lo = { .max_frame_size = 1 << 20, .max_inactivity_ms = 30000,
                            .max_inactivity_initial_delay_ms = 10000, .connect_timeout_ms = 400 };
    char err[256];
    if (hm_server_listen(srv, "auto", "127.0.0.1", PORT, protos, 2, &lo, NULL, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    return apr_thread_create(&loop_thread, NULL, run_server, NULL, root) != APR_SUCCESS;
}

static int suite_clean(void)
{
    hm_server_stop(srv);
    apr_status_t rv;
    apr_thread_join(&rv, loop_thread);
    return 0;
}

/* ---- tests */

static void test_auto_serves_openwire(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_wire_t *w;
    ow_wire_format_info_t *info;
    CU_ASSERT_FATAL(ow_wire_create(p, NULL, &w) == APR_SUCCESS);
    CU_ASSERT_FATAL(ow_wire_local_info(w, p, &info) == APR_SUCCESS);
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, 1 << 16);
    CU_ASSERT_FATAL(ow_encode(w, &info->cmd, &wb) == APR_SUCCESS);
    int fd = dial();
    CU_ASSERT_EQUAL((size_t)send(fd, wb.data, wb.len, 0), wb.len);
    uint8_t buf[4096];
    int closed;
    int n = read_for(fd, buf, sizeof buf, 1000, &closed);
    /* the broker's WireFormatInfo (type 1, "ActiveMQ"), then its BrokerInfo */
    CU_ASSERT(n > 13);
    CU_ASSERT_EQUAL(buf[4], 1);
    CU_ASSERT_EQUAL(memcmp(buf + 5, "ActiveMQ", 8), 0);
    CU_ASSERT(!closed);
    close(fd);
    hm_wbuf_free(&wb);
    apr_pool_destroy(p);
}

static void test_auto_serves_test_protocol(void)
{
    int fd = dial();
    CU_ASSERT_EQUAL(send(fd, "EC", 2, 0), 2);          /* undecided until "ECHO" */
    apr_sleep(apr_time_from_msec(50));
    CU_ASSERT_EQUAL(send(fd, "HO hello\nECHO again\n", 20, 0), 20);
    uint8_t buf[64];
    int closed;
    int n = read_for(fd, buf, sizeof buf, 500, &closed);
    CU_ASSERT_EQUAL(n, 12);
    CU_ASSERT_EQUAL(memcmp(buf, "hello\nagain\n", 12), 0);
    CU_ASSERT(!closed);
    close(fd);
}

static void test_auto_refuses_other_bytes(void)
{
    int fd = dial();
    const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    CU_ASSERT_EQUAL((size_t)send(fd, http, strlen(http), 0), strlen(http));
    CU_ASSERT(closed_within(fd, 300));
    close(fd);
}

/* "EC" and then nothing: closed at the 400 ms deadline, not before, while another connection is
 * served meanwhile. */
static void test_unfinished_handshake_closed_at_deadline(void)
{
    int idle = dial();
    CU_ASSERT_EQUAL(send(idle, "EC", 2, 0), 2);
    apr_time_t t0 = apr_time_now();
    int busy = dial();
    CU_ASSERT_EQUAL(send(busy, "ECHO served\n", 12, 0), 12);
    uint8_t buf[64];
    int closed;
    CU_ASSERT_EQUAL(read_for(busy, buf, 7, 300, &closed), 7);
    CU_ASSERT_EQUAL(memcmp(buf, "served\n", 7), 0);
    CU_ASSERT(!closed_within(idle, 150));
    CU_ASSERT(closed_within(idle, 1500));
    apr_time_t ms = apr_time_as_msec(apr_time_now() - t0);
    CU_ASSERT(ms >= 350 && ms < 1800);
    close(idle);
    close(busy);
}

/* Before its handshake a connection may buffer HM_HANDSHAKE_INPUT_MAX bytes: a line that never
 * ends is refused once it passes that. */
static void test_pre_handshake_buffer_bounded(void)
{
    int fd = dial();
    size_t n = HM_HANDSHAKE_INPUT_MAX + 4096;
    char *line = malloc(n);
    memcpy(line, "ECHO ", 5);
    memset(line + 5, 'x', n - 5);
    size_t sent = 0;
    while (sent < n) {
        ssize_t r = send(fd, line + sent, n - sent, MSG_NOSIGNAL);
        if (r <= 0)
            break;
        sent += (size_t)r;
    }
    CU_ASSERT(closed_within(fd, 300));
    free(line);
    close(fd);
}

int main(void)
{
    apr_initialize();
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("openwire_auto", suite_init, suite_clean);
    CU_add_test(s, "auto:// serves OpenWire", test_auto_serves_openwire);
    CU_add_test(s, "auto:// serves the test protocol on the same port", test_auto_serves_test_protocol);
    CU_add_test(s, "auto:// closes a connection speaking neither", test_auto_refuses_other_bytes);
    CU_add_test(s, "an unfinished handshake is closed at the deadline, others served",
                test_unfinished_handshake_closed_at_deadline);
    CU_add_test(s, "bytes before the handshake are bounded", test_pre_handshake_buffer_bounded);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_terminate();
    return failed ? 1 : 0;
}
