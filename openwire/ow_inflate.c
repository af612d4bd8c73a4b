/* A bounded zlib (RFC 1950) / deflate (RFC 1951) decoder for compressed message bodies
 * (ActiveMQ wraps them in java.util.zip.DeflaterOutputStream when useCompression is on).
 * Written from the RFCs: canonical Huffman codes decoded bit by bit, every read checked
 * against the input, every write against the caller's maximum, every back-reference
 * against the bytes produced so far. */
#include <stdlib.h>

#include <apr_strings.h>

#include "ow_int.h"
#include "ow_props.h"

typedef struct inf_s {
    const uint8_t *in;
    size_t inlen, incnt;
    uint32_t bitbuf;
    int bitcnt;
    uint8_t *out;
    size_t outlen, outcap, max;
    apr_status_t err;
} inf_t;

typedef struct huff_s {
    short count[16];      /* codes of each length */
    short symbol[288];    /* symbols ordered by code */
} huff_t;

static int bits(inf_t *s, int need)
{
    uint32_t val = s->bitbuf;
    while (s->bitcnt < need) {
        if (s->incnt == s->inlen) {
            if (!s->err)
                s->err = HM_EMALFORMED;
            return 0;
        }
        val |= (uint32_t)s->in[s->incnt++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = val >> need;
    s->bitcnt -= need;
    return (int)(val & ((1u << need) - 1));
}

static void put(inf_t *s, uint8_t b)
{
    if (s->err)
        return;
    if (s->outlen == s->max) {
        s->err = HM_ETOOBIG;
        return;
    }
    if (s->outlen == s->outcap) {
        size_t cap = s->outcap ? s->outcap * 2 : 4096;
        if (cap > s->max)
            cap = s->max;
        uint8_t *p = realloc(s->out, cap);
        if (!p) {
            s->err = APR_ENOMEM;
            return;
        }
        s->out = p;
        s->outcap = cap;
    }
    s->out[s->outlen++] = b;
}

/* Builds the decoding table from code lengths; 0 if the lengths over-subscribe the code
 * space (an incomplete code is allowed: its unused codes fail when met). */
static int build(huff_t *h, const short *length, int n)
{
    short offs[16];
    for (int len = 0; len < 16; len++)
        h->count[len] = 0;
    for (int i = 0; i < n; i++)
        h->count[length[i]]++;
    int left = 1;
    for (int len = 1; len < 16; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0)
            return 0;
    }
    offs[1] = 0;
    for (int len = 1; len < 15; len++)
        offs[len + 1] = (short)(offs[len] + h->count[len]);
    for (int i = 0; i < n; i++)
        if (length[i])
            h->symbol[offs[length[i]]++] = (short)i;
    return 1;
}

static int decode(inf_t *s, const huff_t *h)
{
    int code = 0, first = 0, index = 0;
    for (int len = 1; len < 16; len++) {
        code |= bits(s, 1);
        if (s->err)
            return -1;
        int count = h->count[len];
        if (code - count < first)
            return h->symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    s->err = HM_EMALFORMED;
    return -1;
}

static const short LBASE[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43,
                                 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const short LEXT[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4,
                                4, 4, 5, 5, 5, 5, 0 };
static const short DBASE[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257,
                                 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289,
                                 16385, 24577 };
static const short DEXT[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9,
                                10, 10, 11, 11, 12, 12, 13, 13 };

static void codes(inf_t *s, const huff_t *lencode, const huff_t *distcode)
{
    for (;;) {
        int sym = decode(s, lencode);
        if (s->err)
            return;
        if (sym < 256) {
            put(s, (uint8_t)sym);
        } else if (sym == 256) {
            return;
        } else {
            sym -= 257;
            if (sym >= 29) {
                s->err = HM_EMALFORMED;
                return;
            }
            int len = LBASE[sym] + bits(s, LEXT[sym]);
            int dsym = decode(s, distcode);
            if (s->err)
                return;
            if (dsym < 0 || dsym >= 30) {
                s->err = HM_EMALFORMED;
                return;
            }
            size_t dist = (size_t)(DBASE[dsym] + bits(s, DEXT[dsym]));
            if (s->err)
                return;
            if (dist > s->outlen) {
                s->err = HM_EMALFORMED;
                return;
            }
            while (len-- > 0 && !s->err)
                put(s, s->out[s->outlen - dist]);
        }
        if (s->err)
            return;
    }
}

static void stored(inf_t *s)
{
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->inlen - s->incnt < 4) {
        s->err = HM_EMALFORMED;
        return;
    }
    unsigned len = s->in[s->incnt] | (s->in[s->incnt + 1] << 8);
    unsigned nlen = s->in[s->incnt + 2] | (s->in[s->incnt + 3] << 8);
    s->incnt += 4;
    if (len != (~nlen & 0xffff) || s->inlen - s->incnt < len) {
        s->err = HM_EMALFORMED;
        return;
    }
    while (len-- && !s->err)
        put(s, s->in[s->incnt++]);
}

static void fixed(inf_t *s)
{
    huff_t lencode, distcode;
    short lengths[288];
    int i = 0;
    for (; i < 144; i++) lengths[i] = 8;
    for (; i < 256; i++) lengths[i] = 9;
    for (; i < 280; i++) lengths[i] = 7;
    for (; i < 288; i++) lengths[i] = 8;
    build(&lencode, lengths, 288);
    for (i = 0; i < 30; i++)
        lengths[i] = 5;
    build(&distcode, lengths, 30);
    codes(s, &lencode, &distcode);
}

static void dynamic(inf_t *s)
{
    static const short ORDER[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };
    short lengths[320];
    huff_t lencode, distcode;
    int nlen = bits(s, 5) + 257, ndist = bits(s, 5) + 1, ncode = bits(s, 4) + 4;
    if (s->err || nlen > 286 || ndist > 30) {
        s->err = HM_EMALFORMED;
        return;
    }
    int i = 0;
    for (; i < ncode; i++)
        lengths[ORDER[i]] = (short)bits(s, 3);
    for (; i < 19; i++)
        lengths[ORDER[i]] = 0;
    if (s->err || !build(&lencode, lengths, 19)) {
        s->err = HM_EMALFORMED;
        return;
    }
    for (i = 0; i < nlen + ndist;) {
        int sym = decode(s, &lencode);
        if (s->err || sym < 0)
            return;
        if (sym < 16) {
            lengths[i++] = (short)sym;
            continue;
        }
        short len = 0;
        int rep;
        if (sym == 16) {
            if (i == 0) {
                s->err = HM_EMALFORMED;
                return;
            }
            len = lengths[i - 1];
            rep = 3 + bits(s, 2);
        } else if (sym == 17) {
            rep = 3 + bits(s, 3);
        } else {
            rep = 11 + bits(s, 7);
        }
        if (s->err || i + rep > nlen + ndist) {
            s->err = HM_EMALFORMED;
            return;
        }
        while (rep--)
            lengths[i++] = len;
    }
    if (lengths[256] == 0 || !build(&lencode, lengths, nlen)
        || !build(&distcode, lengths + nlen, ndist)) {
        s->err = HM_EMALFORMED;
        return;
    }
    codes(s, &lencode, &distcode);
}

apr_status_t ow_inflate(const uint8_t *in, size_t len, size_t max, apr_pool_t *pool,
                        uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    /* zlib header: deflate, window <= 32K, check bits, no preset dictionary */
    if (len < 2 || (in[0] & 0x0F) != 8 || (in[0] >> 4) > 7 || ((in[0] << 8) | in[1]) % 31 != 0
        || (in[1] & 0x20))
        return HM_EMALFORMED;
    inf_t s = { in, len, 2, 0, 0, NULL, 0, 0, max, APR_SUCCESS };
    int last;
    do {
        last = bits(&s, 1);
        int type = bits(&s, 2);
        if (s.err)
            break;
        if (type == 0)
            stored(&s);
        else if (type == 1)
            fixed(&s);
        else if (type == 2)
            dynamic(&s);
        else
            s.err = HM_EMALFORMED;
    } while (!last && !s.err);
    if (!s.err) {
        /* Adler-32 of the output, big-endian, after the last block's byte */
        uint32_t a = 1, b = 0;
        for (size_t i = 0; i < s.outlen; i++) {
            a = (a + s.out[i]) % 65521;
            b = (b + a) % 65521;
        }
        if (s.inlen - s.incnt < 4)
            s.err = HM_EMALFORMED;
        else {
            const uint8_t *t = s.in + s.incnt;
            uint32_t want = ((uint32_t)t[0] << 24) | ((uint32_t)t[1] << 16) | ((uint32_t)t[2] << 8) | t[3];
            if (want != ((b << 16) | a))
                s.err = HM_EMALFORMED;
        }
    }
    if (!s.err) {
        *out = apr_palloc(pool, s.outlen + 1);
        if (!*out)
            s.err = APR_ENOMEM;
        else {
            if (s.outlen)
                memcpy(*out, s.out, s.outlen);
            (*out)[s.outlen] = 0;
            *out_len = s.outlen;
        }
    }
    free(s.out);
    return s.err;
}
