/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Name constraints (RFC 5280 4.2.1.10 and 6.1.3 (b)/(c)), which mbedTLS
 * 2.28 parses past without enforcing.  The subset a device PKI uses:
 *   directoryName  the subject DN of every certificate below the
 *                  constraining CA begins with the constraint's RDNs
 *                  (attribute types equal, values equal ignoring ASCII case
 *                  and the string type: a conservative subset of RFC 4518);
 *   dNSName        every SAN dNSName below is the constraint or ends in
 *                  "." + the constraint (ASCII case ignored).
 * Any other form (rfc822Name, iPAddress, URI, ...) and minimum/maximum
 * (forbidden by RFC 5280) make the check fail, naming what was found: a
 * constraint the station cannot enforce is refused, never ignored.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/platform.h>

#define LOG_PREFIX "se"
#include "common/log.h"
#include "se/se-internal.h"

#define OID_NAME_CONSTRAINTS "2.5.29.30"
#define TAG_PERMITTED (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)
#define TAG_EXCLUDED (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 1)
#define TAG_DNS (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2)
#define TAG_DIRNAME (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 4)

static const char *const gn_forms[] = { "otherName", "rfc822Name", "dNSName", "x400Address",
					"directoryName", "ediPartyName", "URI", "iPAddress",
					"registeredID" };

static bool ci_equal(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (tolower(a[i]) != tolower(b[i]))
			return false;
	return true;
}

static void free_name(mbedtls_x509_name *n)
{
	mbedtls_x509_name *cur = n->next;

	while (cur) {
		mbedtls_x509_name *next = cur->next;

		mbedtls_free(cur);
		cur = next;
	}
	n->next = NULL;
}

/* Does dn begin with every attribute of base? */
static bool dn_within(const mbedtls_x509_name *dn, const mbedtls_x509_name *base)
{
	for (; base && base->oid.p; base = base->next, dn = dn ? dn->next : NULL) {
		if (!dn || !dn->oid.p)
			return false;
		if (dn->oid.len != base->oid.len || memcmp(dn->oid.p, base->oid.p, dn->oid.len) ||
		    !ci_equal(dn->val.p, dn->val.len, base->val.p, base->val.len))
			return false;
	}
	return true;
}

static bool dns_within(const unsigned char *name, size_t nlen, const unsigned char *base,
		       size_t blen)
{
	if (blen == 0)
		return true;
	if (base[0] == '.')
		return nlen > blen && ci_equal(name + nlen - blen, blen, base, blen);
	if (ci_equal(name, nlen, base, blen))
		return true;
	return nlen > blen + 1 && name[nlen - blen - 1] == '.' &&
	       ci_equal(name + nlen - blen, blen, base, blen);
}

/* One constraint: a subtree's base. */
struct subtree {
	int tag;
	mbedtls_x509_name dn;		/* directoryName */
	const unsigned char *dns;	/* dNSName */
	size_t dns_len;
};

struct nc_ctx {
	const struct se_path *path;
	int holder;		/* index of the constraining certificate in the path */
	char *why;
	size_t cap;
};

static void dn_of(const mbedtls_x509_crt *c, char *out, size_t cap)
{
	se_dn_str(&c->subject, out, cap);
}

/* Apply one subtree to every certificate below the holder. */
static int apply(struct nc_ctx *x, const struct subtree *t, bool permitted, bool *any_dn,
		 bool *any_dns, int *dn_ok, int *dns_ok)
{
	char holder[200], dn[200];

	dn_of(x->path->c[x->holder], holder, sizeof(holder));
	for (int i = 0; i < x->holder; i++) {
		const mbedtls_x509_crt *c = x->path->c[i];

		/* Self-issued intermediates are exempt (RFC 5280 6.1.3 (b)). */
		if (i > 0 && c->issuer_raw.len == c->subject_raw.len &&
		    !memcmp(c->issuer_raw.p, c->subject_raw.p, c->subject_raw.len))
			continue;
		dn_of(c, dn, sizeof(dn));
		if (t->tag == TAG_DIRNAME) {
			bool in = dn_within(&c->subject, &t->dn);

			*any_dn = true;
			if (!permitted && in) {
				snprintf(x->why, x->cap, "'%s' is in a subtree that '%s' excludes "
					 "(nameConstraints excludedSubtrees directoryName)", dn, holder);
				return ST_ERR_CERT;
			}
			if (permitted && in)
				dn_ok[i] = 1;
		} else {
			for (const mbedtls_x509_sequence *s = &c->subject_alt_names; s && s->buf.p;
			     s = s->next) {
				bool in;

				if (s->buf.tag != TAG_DNS)
					continue;
				in = dns_within(s->buf.p, s->buf.len, t->dns, t->dns_len);
				*any_dns = true;
				if (!permitted && in) {
					char name[128];

					snprintf(x->why, x->cap, "the DNS name '%s' of '%s' is in a "
						 "subtree that '%s' excludes (nameConstraints "
						 "excludedSubtrees dNSName)",
						 se_bytes_str(s->buf.p, s->buf.len, name,
							      sizeof(name)), dn, holder);
					return ST_ERR_CERT;
				}
				if (permitted && in)
					dns_ok[i]++;
			}
		}
	}
	return ST_OK;
}

/* Parse one GeneralSubtree at *p into t. */
static int parse_subtree(unsigned char **p, const unsigned char *end, struct subtree *t,
			 char *why, size_t cap, const char *holder)
{
	unsigned char *q, *st_end;
	size_t len;
	int tag;

	memset(t, 0, sizeof(*t));
	if (mbedtls_asn1_get_tag(p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		goto bad;
	st_end = *p + len;
	q = *p;
	*p = st_end;
	if (q >= st_end)
		goto bad;
	tag = *q;
	t->tag = tag;
	if (tag == TAG_DNS) {
		if (mbedtls_asn1_get_tag(&q, st_end, &len, TAG_DNS))
			goto bad;
		t->dns = q;
		t->dns_len = len;
		q += len;
	} else if (tag == TAG_DIRNAME) {
		if (mbedtls_asn1_get_tag(&q, st_end, &len, TAG_DIRNAME) ||
		    mbedtls_asn1_get_tag(&q, st_end, &len,
					 MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
			goto bad;
		if (len && mbedtls_x509_get_name(&q, q + len, &t->dn))
			goto bad;
	} else {
		int n = tag & 0x1f;

		snprintf(why, cap, "'%s' constrains names by %s (GeneralName [%d]); the station "
			 "enforces only directoryName and dNSName constraints, so it refuses the "
			 "chain", holder, (tag & 0xc0) == MBEDTLS_ASN1_CONTEXT_SPECIFIC && n < 9 ?
			 gn_forms[n] : "an unknown form", n);
		return ST_ERR_CERT;
	}
	if (q != st_end) {
		free_name(&t->dn);
		snprintf(why, cap, "'%s' has a name constraint with minimum or maximum, which "
			 "RFC 5280 forbids: refused", holder);
		return ST_ERR_CERT;
	}
	return ST_OK;
bad:
	snprintf(why, cap, "'%s' has a malformed nameConstraints extension: refused", holder);
	return ST_ERR_CERT;
}

/* The GeneralSubtrees of one side, applied in turn. */
static int subtrees(struct nc_ctx *x, unsigned char *p, const unsigned char *end,
		    bool permitted)
{
	int dn_ok[SE_PATH_MAX] = { 0 }, dns_ok[SE_PATH_MAX] = { 0 }, ret = ST_OK;
	bool any_dn = false, any_dns = false, has_dn = false, has_dns = false;
	char holder[200], dn[200];

	dn_of(x->path->c[x->holder], holder, sizeof(holder));
	while (p < end && ret == ST_OK) {
		struct subtree t;

		ret = parse_subtree(&p, end, &t, x->why, x->cap, holder);
		if (ret < 0)
			return ret;
		has_dn |= t.tag == TAG_DIRNAME;
		has_dns |= t.tag == TAG_DNS;
		ret = apply(x, &t, permitted, &any_dn, &any_dns, dn_ok, dns_ok);
		free_name(&t.dn);
	}
	if (ret < 0 || !permitted)
		return ret;
	/* Permitted: every name of a kind constrained must fall in one subtree. */
	for (int i = 0; i < x->holder; i++) {
		const mbedtls_x509_crt *c = x->path->c[i];
		int n_dns = 0;

		if (i > 0 && c->issuer_raw.len == c->subject_raw.len &&
		    !memcmp(c->issuer_raw.p, c->subject_raw.p, c->subject_raw.len))
			continue;
		dn_of(c, dn, sizeof(dn));
		if (has_dn && c->subject.oid.p && !dn_ok[i]) {
			snprintf(x->why, x->cap, "'%s' is outside the subtrees '%s' permits "
				 "(nameConstraints permittedSubtrees directoryName)", dn, holder);
			return ST_ERR_CERT;
		}
		for (const mbedtls_x509_sequence *s = &c->subject_alt_names; s && s->buf.p;
		     s = s->next)
			n_dns += s->buf.tag == TAG_DNS;
		if (has_dns && dns_ok[i] < n_dns) {
			snprintf(x->why, x->cap, "a DNS name of '%s' is outside the subtrees '%s' "
				 "permits (nameConstraints permittedSubtrees dNSName)", dn, holder);
			return ST_ERR_CERT;
		}
	}
	return ST_OK;
}

static int one(struct nc_ctx *x, const struct se_ext *r)
{
	unsigned char buf[SE_EXT_VAL_MAX], *p = buf, *end, *inner;
	char holder[200];
	size_t len;
	int ret = ST_OK;

	dn_of(x->path->c[x->holder], holder, sizeof(holder));
	if (r->truncated) {
		snprintf(x->why, x->cap, "'%s' has a nameConstraints extension longer than %d "
			 "bytes, which the station does not enforce: refused", holder,
			 SE_EXT_VAL_MAX);
		return ST_ERR_CERT;
	}
	memcpy(buf, r->val, r->val_len);
	end = buf + r->val_len;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) ||
	    p + len != end) {
		snprintf(x->why, x->cap, "'%s' has a malformed nameConstraints extension: refused",
			 holder);
		return ST_ERR_CERT;
	}
	while (p < end && ret == ST_OK) {
		int tag = *p;

		if ((tag != TAG_PERMITTED && tag != TAG_EXCLUDED) ||
		    mbedtls_asn1_get_tag(&p, end, &len, tag)) {
			snprintf(x->why, x->cap, "'%s' has a malformed nameConstraints extension: "
				 "refused", holder);
			return ST_ERR_CERT;
		}
		inner = p;
		p += len;
		ret = subtrees(x, inner, p, tag == TAG_PERMITTED);
	}
	return ret;
}

int se_name_constraints(const struct se_path *path, const struct se_exts *x, char *why,
			size_t cap)
{
	struct nc_ctx c = { .path = path, .why = why, .cap = cap };
	int n = 0;

	why[0] = '\0';
	for (int i = 0; x && i < x->n; i++) {
		if (strcmp(x->e[i].oid, OID_NAME_CONSTRAINTS))
			continue;
		for (c.holder = 1; c.holder < path->n; c.holder++) {
			if (path->c[c.holder] != x->e[i].crt)
				continue;
			if (one(&c, &x->e[i]) < 0)
				return ST_ERR_CERT;
			n++;
		}
	}
	if (n)
		snprintf(why, cap, "the path satisfies %d nameConstraints extension%s "
			 "(directoryName, dNSName)", n, n == 1 ? "" : "s");
	else
		snprintf(why, cap, "none in the path");
	return ST_OK;
}
