/* Transports: the byte stream under every protocol, plain TCP or TLS (OpenSSL, non-blocking,
 * driven by the connection's event loop).  A protocol never sees which one it runs on; the
 * event loop (hm_server.c) reads and writes only through this interface.
 *
 * Every call is non-blocking and made on the connection's loop thread.  APR_EAGAIN means "call
 * again when the socket is ready": ready for what is in hm_transport_wants() (TLS may need to
 * write while reading, during a handshake). */
#ifndef HM_TRANSPORT_H
#define HM_TRANSPORT_H

#include <stdint.h>
#include <sys/uio.h>

#include <apr_network_io.h>
#include <apr_pools.h>

#include "hm_status.h"

typedef struct hm_transport_s hm_transport_t;
typedef struct hm_tls_ctx_s hm_tls_ctx_t;

/* What a listener's TLS side needs, in the core's own terms (main.c fills it from <sslContext>
 * and the connector's options).  Either a PEM certificate chain + key or a PKCS#12 bundle. */
typedef struct hm_tls_opts_s {
    const char *certificate;        /* PEM chain */
    const char *private_key;        /* PEM key */
    const char *private_key_password;
    const char *pkcs12;             /* instead of the two above */
    const char *pkcs12_password;
    const char *ca_certificate;     /* PEM bundle that client certificates must chain to */
    const char *trust_pkcs12;       /* or a PKCS#12 trust store holding those CAs */
    const char *trust_pkcs12_password;
    const char *crl;                /* PEM CRL file; NULL: none */
    int want_client_auth;           /* ask for a client certificate */
    int need_client_auth;           /* ... and refuse a client without a valid one */
    const char *protocols;          /* "TLSv1.2,TLSv1.3"; NULL: TLS 1.2 and later */
    const char *ciphers;            /* OpenSSL cipher list (TLS <= 1.2); NULL: OpenSSL's */
} hm_tls_opts_t;

/* A server-side TLS context for one listener.  Errors are described in err. */
apr_status_t hm_tls_ctx_create(apr_pool_t *pool, const hm_tls_opts_t *o, hm_tls_ctx_t **out,
                               char *err, size_t errlen);

/* Reads the certificate, key, CA and CRL files again (SIGHUP): new connections get the new
 * context, connections already open keep theirs.  On error the old context stays, err says why. */
apr_status_t hm_tls_ctx_reload(hm_tls_ctx_t *t, char *err, size_t errlen);

/* A transport over an accepted, non-blocking socket: TLS when tls is not NULL.  peer names the
 * connection in log lines (kept, not copied).  TLS writes go through write(2): the process must
 * ignore SIGPIPE (main() does). */
apr_status_t hm_transport_open(apr_pool_t *pool, apr_socket_t *sock, hm_tls_ctx_t *tls,
                               const char *peer, hm_transport_t **out);
/* Reads up to *len bytes.  APR_SUCCESS: *len > 0 bytes read; APR_EAGAIN; APR_EOF: the peer
 * closed; another status: the connection failed (a TLS error is logged with the peer). */
apr_status_t hm_transport_recv(hm_transport_t *t, uint8_t *buf, size_t *len);
/* Writes what it can of iov[0..n); *written says how much.  Plain TCP never raises SIGPIPE
 * (MSG_NOSIGNAL); TLS writes rely on the process ignoring it (see hm_transport_open). */
apr_status_t hm_transport_sendv(hm_transport_t *t, struct iovec *iov, int n, size_t *written);
/* APR_POLLIN / APR_POLLOUT the last APR_EAGAIN waits for (TLS); 0 for plain reads/writes. */
int hm_transport_wants(const hm_transport_t *t);
/* Bytes already received and decrypted but not yet returned by hm_transport_recv (TLS): poll
 * will not report them, so the caller reads again. */
int hm_transport_pending(const hm_transport_t *t);
/* For TLS after its handshake, the verified client certificate's subject as Java prints it
 * ("CN=jms client, O=hermod tests"); NULL: none, or plain TCP. */
const char *hm_transport_peer_subject(hm_transport_t *t);
/* Sends a TLS close_notify when it can (no waiting); the socket itself is closed by its pool. */
void hm_transport_shutdown(hm_transport_t *t);

#endif
