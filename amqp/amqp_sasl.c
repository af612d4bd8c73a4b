/* hermod's SASL server for Proton (its SASL plugin interface): ANONYMOUS and PLAIN, both checked
 * by the broker's authenticator, so a refused login gets the SASL outcome `auth` before any AMQP
 * frame.  A client that skips SASL connects as anonymous and is checked when it opens. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <proton/sasl.h>
#include <proton/sasl_plugin.h>

#include "amqp_int.h"
#include "amqp_limits.h"
#include "hm_log.h"

static void sasl_free(pn_transport_t *t) { (void)t; }   /* the context is the connection's */

static const char *sasl_mechanisms(pn_transport_t *t)
{
    (void)t;
    return "PLAIN ANONYMOUS";
}

static bool sasl_init_server(pn_transport_t *t)
{
    pnx_sasl_set_desired_state(t, SASL_POSTED_MECHANISMS);
    return true;
}

static bool sasl_init_client(pn_transport_t *t) { (void)t; return false; }
static void sasl_prepare(pn_transport_t *t) { (void)t; }

/* PLAIN's initial response: authzid NUL authcid NUL password (RFC 4616), read within its bounds. */
static int plain_split(const pn_bytes_t *r, amqp_conn_t *ac)
{
    if (!r || !r->start || r->size > AMQP_MAX_SASL_RESPONSE)
        return 0;
    const char *p = r->start, *end = r->start + r->size;
    const char *nul1 = memchr(p, 0, r->size);
    if (!nul1)
        return 0;
    const char *user = nul1 + 1;
    const char *nul2 = memchr(user, 0, (size_t)(end - user));
    if (!nul2 || nul2 == user)
        return 0;
    ac->user = apr_pstrmemdup(ac->pool, user, (size_t)(nul2 - user));
    ac->password = apr_pstrmemdup(ac->pool, nul2 + 1, (size_t)(end - nul2 - 1));
    return 1;
}

static void sasl_process_init(pn_transport_t *t, const char *mechanism, const pn_bytes_t *recv)
{
    amqp_conn_t *ac = pnx_sasl_get_context(t);
    char err[512] = "";
    int ok = 0;
    if (strcmp(mechanism, "PLAIN") == 0) {
        if (plain_split(recv, ac)) {
            hm_credentials_t cr = { .user = ac->user, .password = ac->password,
                                    .cert_subject = hm_conn_peer_subject(ac->conn),
                                    .remote = hm_conn_peer(ac->conn), .tls = hm_conn_is_tls(ac->conn) };
            ok = hm_broker_authenticate(ac->b, &cr, NULL, err, sizeof err) == APR_SUCCESS;
        } else {
            hm_info("amqp %s: a malformed SASL PLAIN response", hm_conn_peer(ac->conn));
        }
    } else if (strcmp(mechanism, "ANONYMOUS") == 0) {
        hm_credentials_t cr = { .cert_subject = hm_conn_peer_subject(ac->conn),
                                .remote = hm_conn_peer(ac->conn), .tls = hm_conn_is_tls(ac->conn) };
        ok = hm_broker_authenticate(ac->b, &cr, NULL, err, sizeof err) == APR_SUCCESS;
    } else {
        hm_info("amqp %s: SASL mechanism %s is not offered", hm_conn_peer(ac->conn), mechanism);
    }
    ac->sasl_done = 1;
    if (!ok) {                     /* answered later (amqp_sasl_due), as OpenWire's refusals are */
        ac->sasl_refuse_at = apr_time_now() + apr_time_from_msec(AMQP_LOGIN_REFUSAL_DELAY_MS);
        return;
    }
    pnx_sasl_set_succeeded(t, ac->user ? ac->user : "anonymous", NULL);
    pnx_sasl_set_desired_state(t, SASL_POSTED_OUTCOME);
}

void amqp_sasl_due(amqp_conn_t *ac, apr_time_t now)
{
    if (!ac->sasl_refuse_at || now < ac->sasl_refuse_at)
        return;
    ac->sasl_refuse_at = 0;
    pnx_sasl_set_failed(ac->pt);   /* the SASL outcome `auth` */
    pnx_sasl_set_desired_state(ac->pt, SASL_POSTED_OUTCOME);
}

static void sasl_process_response(pn_transport_t *t, const pn_bytes_t *recv) { (void)t; (void)recv; }
static bool sasl_process_mechanisms(pn_transport_t *t, const char *m) { (void)t; (void)m; return false; }
static void sasl_process_challenge(pn_transport_t *t, const pn_bytes_t *r) { (void)t; (void)r; }
static void sasl_process_outcome(pn_transport_t *t, const pn_bytes_t *r) { (void)t; (void)r; }
static bool sasl_can_encrypt(pn_transport_t *t) { (void)t; return false; }
static ssize_t sasl_max_encrypt(pn_transport_t *t) { (void)t; return 0; }
static ssize_t sasl_encode(pn_transport_t *t, pn_bytes_t in, pn_bytes_t *out) { (void)t; (void)in; (void)out; return 0; }
static ssize_t sasl_decode(pn_transport_t *t, pn_bytes_t in, pn_bytes_t *out) { (void)t; (void)in; (void)out; return 0; }

static const pnx_sasl_implementation hermod_sasl = {
    sasl_free, sasl_mechanisms, sasl_init_server, sasl_init_client, sasl_prepare,
    sasl_process_init, sasl_process_response, sasl_process_mechanisms, sasl_process_challenge,
    sasl_process_outcome, sasl_can_encrypt, sasl_max_encrypt, sasl_encode, sasl_decode
};

void amqp_sasl_install(amqp_conn_t *ac)
{
    pn_sasl_t *s = pn_sasl(ac->pt);
    pn_sasl_set_allow_insecure_mechs(s, true);   /* PLAIN over plain TCP, as ActiveMQ allows */
    pnx_sasl_set_implementation(ac->pt, &hermod_sasl, ac);
}
