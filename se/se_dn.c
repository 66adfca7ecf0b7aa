/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A certificate's distinguished name as text, for the log and for messages.
 *
 * The form is mbedTLS's (mbedtls_x509_dn_gets): "CN=value, O=value", " + "
 * between the attributes of one multi-valued RDN, RFC 4514's special
 * characters in a value (, = + < > # ; " \) escaped with '\'.  Unlike it,
 * a value is kept as the certificate says it (docs/operators.md, "text from
 * outside"): a UTF8String, PrintableString, IA5String or TeletexString's
 * bytes as received when they are valid UTF-8 and as \xNN where they are
 * not (common/text.h, st_text_utf8), a BMPString (UCS-2, X.690) decoded to
 * UTF-8, a NUL byte as \x00; an attribute mbedTLS has no short name for is
 * named by its dotted OID.  Control characters stay: whatever shows the
 * name escapes them (st_text_show), the log keeps what the part said.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>

#include "common/text.h"
#include "se/se-internal.h"

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n < b->cap) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
		b->p[b->len] = '\0';
	}
}

static void put_utf8(struct buf *b, unsigned cp)
{
	char u[3];

	if (cp < 0x80) {
		u[0] = (char)cp;
		put(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		put(b, u, 2);
	} else {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		put(b, u, 3);
	}
}

/* One character of a value: RFC 4514's specials escaped, NUL as \x00. */
static void put_char(struct buf *b, unsigned cp)
{
	if (cp == 0) {
		put(b, "\\x00", 4);
		return;
	}
	if (cp < 0x80 && strchr(",=+<>#;\"\\", (int)cp))
		put(b, "\\", 1);
	put_utf8(b, cp);
}

static void put_value(struct buf *b, const mbedtls_asn1_buf *v)
{
	if (v->tag == MBEDTLS_ASN1_BMP_STRING) {
		/* UCS-2 big endian; a surrogate (not UCS-2) or an odd byte as hex */
		size_t i;

		for (i = 0; i + 1 < v->len; i += 2) {
			unsigned cp = (unsigned)v->p[i] << 8 | v->p[i + 1];

			if (cp >= 0xd800 && cp <= 0xdfff) {
				char h[9];

				snprintf(h, sizeof(h), "\\x%02x\\x%02x", v->p[i], v->p[i + 1]);
				put(b, h, 8);
			} else {
				put_char(b, cp);
			}
		}
		if (i < v->len) {
			char h[5];

			snprintf(h, sizeof(h), "\\x%02x", v->p[i]);
			put(b, h, 4);
		}
		return;
	}
	/* bytes as they are; st_text_utf8 escapes what is not UTF-8 afterwards */
	for (size_t i = 0; i < v->len; i++) {
		unsigned char c = v->p[i];

		if (c < 0x80)
			put_char(b, c);
		else
			put(b, (const char *)&v->p[i], 1);
	}
}

void se_dn_str(const mbedtls_x509_name *dn, char *out, size_t cap)
{
	struct buf b = { 0 };
	const char *name;
	char oid[64];
	size_t need = 1;
	bool merged = false;	/* the previous attribute and this one are one RDN */

	for (const mbedtls_x509_name *n = dn; n; n = n->next)
		need += sizeof(oid) + 3 + 4 * n->val.len;	/* "\x00" is the longest per byte */
	b.p = malloc(need);
	if (!b.p) {
		snprintf(out, cap, "(name not shown: out of memory)");
		return;
	}
	b.cap = need;
	b.p[0] = '\0';
	for (const mbedtls_x509_name *n = dn; n; n = n->next) {
		if (!n->oid.p)
			continue;
		if (n != dn)
			put(&b, merged ? " + " : ", ", merged ? 3 : 2);
		if (mbedtls_oid_get_attr_short_name(&n->oid, &name) != 0) {
			if (mbedtls_oid_get_numeric_string(oid, sizeof(oid), &n->oid) < 0)
				snprintf(oid, sizeof(oid), "(OID)");
			name = oid;
		}
		put(&b, name, strlen(name));
		put(&b, "=", 1);
		put_value(&b, &n->val);
		merged = n->next_merged;
	}
	st_text_utf8(out, cap, b.p);
	free(b.p);
}

const char *se_bytes_str(const unsigned char *p, size_t n, char *out, size_t cap)
{
	struct buf b = { .cap = 4 * n + 1 };

	b.p = malloc(b.cap);
	if (!b.p) {
		snprintf(out, cap, "(not shown: out of memory)");
		return out;
	}
	b.p[0] = '\0';
	for (size_t i = 0; i < n; i++)	/* as put_value, without RFC 4514's escapes */
		put(&b, p[i] ? (const char *)&p[i] : "\\x00", p[i] ? 1 : 4);
	st_text_utf8(out, cap, b.p);
	free(b.p);
	return out;
}
