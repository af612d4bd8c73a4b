/* Transports (hm_transport.h): plain TCP, and TLS on OpenSSL in non-blocking mode.
 *
 * TLS runs inside the event loop: SSL_read/SSL_write never block; when OpenSSL needs the socket
 * to be readable or writable first (a handshake in progress), the call answers APR_EAGAIN and
 * hm_transport_wants() says which, so the loop polls for that.  Renegotiation is off, so after
 * the handshake a read only reads and a write only writes.  The handshake itself runs inside the
 * first reads; the server's handshake deadline covers it like any protocol's. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <apr_poll.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "hm_log.h"
#include "hm_transport.h"

struct hm_tls_ctx_s {
    apr_thread_mutex_t *lock;      /* guards ctx: a reload swaps it from the signal thread */
    SSL_CTX *ctx;                  /* what new connections get; old ones keep theirs (refcounted) */
    hm_tls_opts_t opts;            /* copied, for reloads */
    apr_pool_t *pool;
};

struct hm_transport_s {
    apr_socket_t *sock;
    apr_os_sock_t fd;
    SSL *ssl;                      /* NULL: plain TCP */
    int wants;                     /* APR_POLLIN / APR_POLLOUT after an APR_EAGAIN (TLS) */
    const char *peer;              /* for log lines */
    apr_pool_t *pool;
    char *subject;                 /* the client certificate's, once read */
};

/* ------------------------------------------------------------------ TLS contexts */

/* The first queued OpenSSL error as text, for err / log lines. */
static const char *ssl_error_text(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (!e)
        return "no detail from OpenSSL";
    ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

static apr_status_t ctx_cleanup(void *data)
{
    SSL_CTX_free(((hm_tls_ctx_t *)data)->ctx);
    return APR_SUCCESS;
}

static int password_cb(char *buf, int size, int rwflag, void *u)
{
    const char *pw = u;
    int n = pw ? (int)strlen(pw) : 0;
    if (n >= size)
        return 0;
    memcpy(buf, pw ? pw : "", (size_t)n);
    return n;
}

static int version_of(const char *name)
{
    static const struct { const char *n; int v; } vs[] = {
        { "TLSv1", TLS1_VERSION }, { "TLSv1.1", TLS1_1_VERSION },
        { "TLSv1.2", TLS1_2_VERSION }, { "TLSv1.3", TLS1_3_VERSION },
    };
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
        if (strcmp(vs[i].n, name) == 0)
            return vs[i].v;
    return 0;
}

/* transport.enabledProtocols ("TLSv1.2,TLSv1.3"): the lowest and highest named. */
static apr_status_t set_protocols(SSL_CTX *ctx, const char *list, apr_pool_t *pool, char *err,
                                  size_t errlen)
{
    int lo = TLS1_2_VERSION, hi = 0;
    if (list && *list) {
        lo = INT_MAX;
        char *last, *copy = apr_pstrdup(pool, list);
        for (char *t = apr_strtok(copy, ", ", &last); t; t = apr_strtok(NULL, ", ", &last)) {
            int v = version_of(t);
            if (!v) {
                snprintf(err, errlen, "transport.enabledProtocols: unknown protocol \"%s\"", t);
                return HM_EINVAL;
            }
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    }
    if (!SSL_CTX_set_min_proto_version(ctx, lo) || (hi && !SSL_CTX_set_max_proto_version(ctx, hi))) {
        snprintf(err, errlen, "cannot restrict TLS versions to %s", list);
        return HM_EINVAL;
    }
    return APR_SUCCESS;
}

/* transport.enabledCipherSuites uses IANA names (as Java does): TLS 1.3 suites go to
 * SSL_CTX_set_ciphersuites, the others are mapped to OpenSSL's names. */
static apr_status_t set_ciphers(SSL_CTX *ctx, const char *list, apr_pool_t *pool, char *err,
                                size_t errlen)
{
    if (!list || !*list)
        return APR_SUCCESS;
    char *v12 = "", *v13 = "", *last, *copy = apr_pstrdup(pool, list);
    for (char *t = apr_strtok(copy, ", ", &last); t; t = apr_strtok(NULL, ", ", &last)) {
        if (strncmp(t, "TLS_AES_", 8) == 0 || strncmp(t, "TLS_CHACHA20_", 13) == 0) {
            v13 = apr_pstrcat(pool, v13, *v13 ? ":" : "", t, NULL);
            continue;
        }
        const char *o = OPENSSL_cipher_name(t);
        if (!o || strcmp(o, "(NONE)") == 0) {
            snprintf(err, errlen, "transport.enabledCipherSuites: unknown cipher suite \"%s\"", t);
            return HM_EINVAL;
        }
        v12 = apr_pstrcat(pool, v12, *v12 ? ":" : "", o, NULL);
    }
    if ((*v12 && !SSL_CTX_set_cipher_list(ctx, v12)) || (*v13 && !SSL_CTX_set_ciphersuites(ctx, v13))) {
        char e[256];
        snprintf(err, errlen, "transport.enabledCipherSuites: %s", ssl_error_text(e, sizeof e));
        return HM_EINVAL;
    }
    return APR_SUCCESS;
}

/* Reads a PKCS#12 file (what: "keyStore" or "trustStore", for the error text); the caller frees
 * *key, *cert and *ca whatever the outcome. */
static apr_status_t read_pkcs12(const char *path, const char *password, const char *what,
                                EVP_PKEY **key, X509 **cert, STACK_OF(X509) **ca, char *err,
                                size_t errlen)
{
    char e[256];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return APR_FROM_OS_ERROR(errno);
    }
    PKCS12 *p12 = d2i_PKCS12_fp(f, NULL);
    fclose(f);
    int ok = p12 && PKCS12_parse(p12, password ? password : "", key, cert, ca);
    PKCS12_free(p12);
    if (!ok) {
        snprintf(err, errlen, "%s %s: %s", what, path, ssl_error_text(e, sizeof e));
        return HM_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t load_pkcs12(SSL_CTX *ctx, const hm_tls_opts_t *o, char *err, size_t errlen)
{
    char e[256];
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    apr_status_t st = read_pkcs12(o->pkcs12, o->pkcs12_password, "keyStore", &key, &cert, &ca,
                                  err, errlen);
    int ok = !st && SSL_CTX_use_certificate(ctx, cert) && SSL_CTX_use_PrivateKey(ctx, key);
    for (int i = 0; ok && ca && i < sk_X509_num(ca); i++) {
        X509 *c = sk_X509_value(ca, i);
        ok = SSL_CTX_add_extra_chain_cert(ctx, c);       /* takes the reference */
        if (ok)
            sk_X509_set(ca, i, NULL);
    }
    if (!st && !ok)
        snprintf(err, errlen, "keyStore %s: %s", o->pkcs12, ssl_error_text(e, sizeof e));
    sk_X509_pop_free(ca, X509_free);
    X509_free(cert);
    EVP_PKEY_free(key);
    return st ? st : ok ? APR_SUCCESS : HM_EINVAL;
}

/* A PKCS#12 trust store (keytool -importcert -storetype PKCS12, ActiveMQ's trustStore=): every
 * certificate in it is a CA that client certificates may chain to, as Java's TrustManager
 * treats them; OpenSSL's PKCS12_parse hands them over as the "ca" stack. */
static apr_status_t load_trust_pkcs12(SSL_CTX *ctx, const hm_tls_opts_t *o, char *err, size_t errlen)
{
    char e[256];
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    apr_status_t st = read_pkcs12(o->trust_pkcs12, o->trust_pkcs12_password, "trustStore", &key,
                                  &cert, &ca, err, errlen);
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int n = 0, ok = !st;
    for (int i = 0; ok && ca && i < sk_X509_num(ca); i++, n++) {
        X509 *c = sk_X509_value(ca, i);
        ok = X509_STORE_add_cert(store, c) && SSL_CTX_add_client_CA(ctx, c);
    }
    if (!st && !ok)
        snprintf(err, errlen, "trustStore %s: %s", o->trust_pkcs12, ssl_error_text(e, sizeof e));
    else if (!st && !n)
        snprintf(err, errlen, "trustStore %s: holds no certificate", o->trust_pkcs12);
    sk_X509_pop_free(ca, X509_free);
    X509_free(cert);
    EVP_PKEY_free(key);
    return st ? st : ok && n ? APR_SUCCESS : HM_EINVAL;
}

static apr_status_t load_crl(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "crlPath %s: %s", path, strerror(errno));
        return APR_FROM_OS_ERROR(errno);
    }
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int n = 0;
    X509_CRL *crl;
    while ((crl = PEM_read_X509_CRL(f, NULL, NULL, NULL)) != NULL) {
        X509_STORE_add_crl(store, crl);
        X509_CRL_free(crl);
        n++;
    }
    fclose(f);
    ERR_clear_error();
    if (!n) {
        snprintf(err, errlen, "crlPath %s: no PEM CRL in it", path);
        return HM_EINVAL;
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    return APR_SUCCESS;
}

/* A configured SSL_CTX from o (pool: scratch), or NULL with err. */
static apr_status_t ctx_configure(SSL_CTX *ctx, const hm_tls_opts_t *o, apr_pool_t *pool, char *err,
                                  size_t errlen)
{
    char e[256];
    apr_status_t st;
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                             SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_RELEASE_BUFFERS);
    if ((st = set_protocols(ctx, o->protocols, pool, err, errlen)) ||
        (st = set_ciphers(ctx, o->ciphers, pool, err, errlen)))
        return st;
    if (o->pkcs12) {
        if ((st = load_pkcs12(ctx, o, err, errlen)))
            return st;
    } else {
        if (!o->certificate || !o->private_key) {
            snprintf(err, errlen, "a TLS listener needs a certificate and its private key");
            return HM_EINVAL;
        }
        SSL_CTX_set_default_passwd_cb(ctx, password_cb);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)o->private_key_password);
        if (SSL_CTX_use_certificate_chain_file(ctx, o->certificate) != 1) {
            snprintf(err, errlen, "certificate %s: %s", o->certificate, ssl_error_text(e, sizeof e));
            return HM_EINVAL;
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, o->private_key, SSL_FILETYPE_PEM) != 1) {
            snprintf(err, errlen, "privateKey %s: %s", o->private_key, ssl_error_text(e, sizeof e));
            return HM_EINVAL;
        }
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "the private key does not match the certificate: %s",
                 ssl_error_text(e, sizeof e));
        return HM_EINVAL;
    }
    if (o->ca_certificate) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->ca_certificate);
        if (SSL_CTX_load_verify_locations(ctx, o->ca_certificate, NULL) != 1 || !names) {
            snprintf(err, errlen, "caCertificate %s: %s", o->ca_certificate, ssl_error_text(e, sizeof e));
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            return HM_EINVAL;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
    } else if (o->trust_pkcs12 && (st = load_trust_pkcs12(ctx, o, err, errlen))) {
        return st;
    }
    if (o->crl && (st = load_crl(ctx, o->crl, err, errlen)))
        return st;
    if ((o->need_client_auth || o->want_client_auth) && !o->ca_certificate && !o->trust_pkcs12) {
        snprintf(err, errlen, "needClientAuth/wantClientAuth need a caCertificate or a trustStore "
                 "to verify clients with");
        return HM_EINVAL;
    }
    SSL_CTX_set_verify(ctx, o->need_client_auth ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                            : o->want_client_auth ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    return APR_SUCCESS;
}


static apr_status_t ctx_build(const hm_tls_opts_t *o, apr_pool_t *pool, SSL_CTX **out, char *err,
                              size_t errlen)
{
    char e[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, errlen, "cannot create a TLS context: %s", ssl_error_text(e, sizeof e));
        return APR_ENOMEM;
    }
    apr_status_t st = ctx_configure(ctx, o, pool, err, errlen);
    if (st) {
        SSL_CTX_free(ctx);
        return st;
    }
    *out = ctx;
    return APR_SUCCESS;
}

static const char *dup_or_null(apr_pool_t *pool, const char *s)
{
    return s ? apr_pstrdup(pool, s) : NULL;
}

apr_status_t hm_tls_ctx_create(apr_pool_t *pool, const hm_tls_opts_t *o, hm_tls_ctx_t **out,
                               char *err, size_t errlen)
{
    hm_tls_ctx_t *t = apr_pcalloc(pool, sizeof *t);
    t->pool = pool;
    t->opts = *o;
    t->opts.certificate = dup_or_null(pool, o->certificate);
    t->opts.private_key = dup_or_null(pool, o->private_key);
    t->opts.private_key_password = dup_or_null(pool, o->private_key_password);
    t->opts.pkcs12 = dup_or_null(pool, o->pkcs12);
    t->opts.pkcs12_password = dup_or_null(pool, o->pkcs12_password);
    t->opts.ca_certificate = dup_or_null(pool, o->ca_certificate);
    t->opts.trust_pkcs12 = dup_or_null(pool, o->trust_pkcs12);
    t->opts.trust_pkcs12_password = dup_or_null(pool, o->trust_pkcs12_password);
    t->opts.crl = dup_or_null(pool, o->crl);
    t->opts.protocols = dup_or_null(pool, o->protocols);
    t->opts.ciphers = dup_or_null(pool, o->ciphers);
    apr_status_t st = apr_thread_mutex_create(&t->lock, APR_THREAD_MUTEX_DEFAULT, pool);
    if (st == APR_SUCCESS)
        st = ctx_build(&t->opts, pool, &t->ctx, err, errlen);
    if (st)
        return st;
    apr_pool_cleanup_register(pool, t, ctx_cleanup, apr_pool_cleanup_null);
    *out = t;
    return APR_SUCCESS;
}

/* Why swap rather than change the context in place: connections in their handshake use the old
 * one, which OpenSSL keeps until its last SSL is freed. */
apr_status_t hm_tls_ctx_reload(hm_tls_ctx_t *t, char *err, size_t errlen)
{
    apr_pool_t *scratch;
    SSL_CTX *fresh = NULL, *old;
    apr_status_t st = apr_pool_create(&scratch, NULL);
    if (st)
        return st;
    st = ctx_build(&t->opts, scratch, &fresh, err, errlen);
    apr_pool_destroy(scratch);
    if (st)
        return st;
    apr_thread_mutex_lock(t->lock);
    old = t->ctx;
    t->ctx = fresh;
    apr_thread_mutex_unlock(t->lock);
    SSL_CTX_free(old);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ connections */

static apr_status_t ssl_cleanup(void *data)
{
    SSL_free(data);
    return APR_SUCCESS;
}

apr_status_t hm_transport_open(apr_pool_t *pool, apr_socket_t *sock, hm_tls_ctx_t *tls,
                               const char *peer, hm_transport_t **out)
{
    hm_transport_t *t = apr_pcalloc(pool, sizeof *t);
    t->sock = sock;
    t->pool = pool;
    t->peer = peer;
    apr_status_t st = apr_os_sock_get(&t->fd, sock);
    if (st)
        return st;
    if (tls) {
        apr_thread_mutex_lock(tls->lock);
        t->ssl = SSL_new(tls->ctx);
        apr_thread_mutex_unlock(tls->lock);
        if (!t->ssl)
            return APR_ENOMEM;
        apr_pool_cleanup_register(pool, t->ssl, ssl_cleanup, apr_pool_cleanup_null);
        if (SSL_set_fd(t->ssl, t->fd) != 1)
            return APR_ENOMEM;
        SSL_set_accept_state(t->ssl);
    }
    *out = t;
    return APR_SUCCESS;
}

/* An OpenSSL result that is not data: wait for the socket, the peer's end, or a failure. */
static apr_status_t ssl_outcome(hm_transport_t *t, int r, const char *what)
{
    int e = SSL_get_error(t->ssl, r);
    char buf[256];
    switch (e) {
    case SSL_ERROR_WANT_READ:
        t->wants = APR_POLLIN;
        return APR_EAGAIN;
    case SSL_ERROR_WANT_WRITE:
        t->wants = APR_POLLOUT;
        return APR_EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return APR_EOF;
    case SSL_ERROR_SYSCALL:
        if (errno == 0)
            return APR_EOF;
        return APR_FROM_OS_ERROR(errno);
    default:
        hm_info("connection %s: TLS %s failed: %s", t->peer, what, ssl_error_text(buf, sizeof buf));
        return HM_EPROTO;
    }
}

apr_status_t hm_transport_recv(hm_transport_t *t, uint8_t *buf, size_t *len)
{
    if (!t->ssl) {
        apr_size_t n = *len;
        apr_status_t st = apr_socket_recv(t->sock, (char *)buf, &n);
        *len = n;
        if (n > 0)
            return APR_SUCCESS;
        return st == APR_SUCCESS ? APR_EOF : st;
    }
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(t->ssl, buf, *len > INT_MAX ? INT_MAX : (int)*len);
    if (r > 0) {
        t->wants = 0;
        *len = (size_t)r;
        return APR_SUCCESS;
    }
    *len = 0;
    return ssl_outcome(t, r, SSL_is_init_finished(t->ssl) ? "read" : "handshake");
}

apr_status_t hm_transport_sendv(hm_transport_t *t, struct iovec *iov, int n, size_t *written)
{
    *written = 0;
    if (!t->ssl) {
        struct msghdr mh;
        memset(&mh, 0, sizeof mh);
        mh.msg_iov = iov;
        mh.msg_iovlen = (size_t)n;
        ssize_t r;
        do
            r = sendmsg(t->fd, &mh, MSG_NOSIGNAL);   /* a reset peer: EPIPE, never SIGPIPE */
        while (r < 0 && errno == EINTR);
        if (r < 0)
            return errno == EWOULDBLOCK ? APR_EAGAIN : APR_FROM_OS_ERROR(errno);
        *written = (size_t)r;
        return APR_SUCCESS;
    }
    for (int i = 0; i < n; i++) {
        size_t off = 0;
        while (off < iov[i].iov_len) {
            size_t left = iov[i].iov_len - off;
            ERR_clear_error();
            errno = 0;
            int r = SSL_write(t->ssl, (const char *)iov[i].iov_base + off, left > INT_MAX ? INT_MAX : (int)left);
            if (r <= 0) {
                apr_status_t st = ssl_outcome(t, r, SSL_is_init_finished(t->ssl) ? "write" : "handshake");
                return *written > 0 && st == APR_EAGAIN ? APR_SUCCESS : st;
            }
            t->wants = 0;
            off += (size_t)r;
            *written += (size_t)r;
        }
    }
    return APR_SUCCESS;
}

int hm_transport_wants(const hm_transport_t *t) { return t->ssl ? t->wants : 0; }
int hm_transport_pending(const hm_transport_t *t) { return t->ssl ? SSL_pending(t->ssl) > 0 : 0; }

const char *hm_transport_peer_subject(hm_transport_t *t)
{
    if (!t->ssl || !SSL_is_init_finished(t->ssl))
        return NULL;
    if (!t->subject) {
        X509 *c = SSL_get1_peer_certificate(t->ssl);
        if (!c)
            return NULL;
        /* as Java's X509Certificate.getSubjectDN().getName() prints it ("CN=x, O=y": last RDN
         * first, ", " between), which ActiveMQ's certificate login modules compare */
        BIO *b = BIO_new(BIO_s_mem());
        unsigned long flags = ((XN_FLAG_RFC2253 & ~XN_FLAG_SEP_MASK) | XN_FLAG_SEP_CPLUS_SPC) &
                              ~(unsigned long)ASN1_STRFLGS_ESC_MSB;
        char *data = NULL;
        long n = b && X509_NAME_print_ex(b, X509_get_subject_name(c), 0, flags) >= 0
                     ? BIO_get_mem_data(b, &data) : 0;
        t->subject = apr_pstrmemdup(t->pool, data ? data : "", n > 0 ? (apr_size_t)n : 0);
        BIO_free(b);
        X509_free(c);
    }
    return t->subject;
}

void hm_transport_shutdown(hm_transport_t *t)
{
    if (t->ssl && SSL_is_init_finished(t->ssl)) {
        ERR_clear_error();
        SSL_shutdown(t->ssl);      /* one try: a close_notify if the socket takes it */
        ERR_clear_error();
    }
}
