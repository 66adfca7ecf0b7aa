/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RFC 5280 checks mbedTLS 2.28 leaves to the caller, on the path the
 * station builds (se_path_build): unknown critical extensions named by
 * certificate and OID (critical-ext), basic-constraints path length with
 * its own verdict (path-length), name constraints (name-constraints,
 * se_names.c), the trust anchor (anchor: self-signed CA, or an intermediate
 * when the policy allows), and on the leaf the extended key usage
 * (ext-key-usage: clientAuth or anyExtendedKeyUsage when present) and the
 * certificate policies (policies: when the station's policy lists some).
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/oid.h>

#define LOG_PREFIX "se"
#include "common/hex.h"
#include "common/log.h"
#include "se/se-internal.h"

/* Extensions se/ handles itself although mbedTLS does not. */
#define OID_NAME_CONSTRAINTS "2.5.29.30"
#define OID_CERT_POLICIES "2.5.29.32"

/* "the leaf", "the intermediate 'CN=...'", "the anchor 'CN=...'" */
static void who(const struct se_path *p, const mbedtls_x509_crt *c, char *out, size_t cap)
{
	char dn[200];
	int i;

	se_dn_str(&c->subject, dn, sizeof(dn));
	for (i = 0; i < p->n && p->c[i] != c; i++)
		;
	if (i == 0)
		snprintf(out, cap, "the leaf '%s'", dn);
	else if (i < p->n && p->from_trust[i])
		snprintf(out, cap, "the anchor '%s'", dn);
	else
		snprintf(out, cap, "the issuer '%s'", dn);
}

static bool in_path(const struct se_path *p, const mbedtls_x509_crt *c)
{
	for (int i = 0; i < p->n; i++)
		if (p->c[i] == c)
			return true;
	return false;
}

static bool in_chain(const mbedtls_x509_crt *chain, const mbedtls_x509_crt *c)
{
	for (; chain; chain = chain->next)
		if (chain == c)
			return true;
	return false;
}

static void check_critical(const mbedtls_x509_crt *chain, const struct se_path *p,
			   const struct se_exts *x, struct se_identity *id)
{
	char name[300];

	if (x->overflow) {
		se_add_check(id, "critical-ext", false, "more than %d extensions the station "
			     "does not know: refused", SE_EXT_MAX);
		return;
	}
	for (int i = 0; i < x->n; i++) {
		const struct se_ext *r = &x->e[i];

		if (!r->critical || !(in_path(p, r->crt) || in_chain(chain, r->crt)))
			continue;
		if (!strcmp(r->oid, OID_NAME_CONSTRAINTS) || !strcmp(r->oid, OID_CERT_POLICIES))
			continue;
		who(p, r->crt, name, sizeof(name));
		se_add_check(id, "critical-ext", false, "%s carries the critical extension %s, "
			     "which the station does not understand; RFC 5280 requires refusing "
			     "it: ask the supplier what it is", name, r->oid);
		return;
	}
	se_add_check(id, "critical-ext", true, "no critical extension the station does not "
		     "understand");
}

static void check_pathlen(const struct se_path *p, struct se_identity *id)
{
	char dn[200];
	int allowed = 0;

	for (int i = 1; i < p->n; i++) {
		if (se_pathlen_ok(p->c[i], i - 1, &allowed))
			continue;
		se_dn_str(&p->c[i]->subject, dn, sizeof(dn));
		se_add_check(id, "path-length", false, "path length exceeded: '%s' allows %d CA "
			     "certificate%s below it (basicConstraints pathLenConstraint) but the "
			     "chain puts %d there", dn, allowed, allowed == 1 ? "" : "s", i - 1);
		return;
	}
	se_add_check(id, "path-length", true, "%d CA certificate%s below the top, within every "
		     "pathLenConstraint", p->n > 2 ? p->n - 2 : 0, p->n == 3 ? "" : "s");
}

static void check_anchor(const mbedtls_x509_crt *anchor, const struct se_policy *pol,
			 struct se_identity *id)
{
	bool self = se_self_signed(anchor);

	se_dn_str(&anchor->subject, id->anchor_subject, sizeof(id->anchor_subject));
	sha256_hex(anchor->raw.p, anchor->raw.len, id->anchor_sha256);
	if (!anchor->ca_istrue)
		se_add_check(id, "anchor", false, "the trust anchor '%s' is not a CA certificate "
			     "(basicConstraints CA:FALSE): the trust store must hold the "
			     "manufacturer's root CA", id->anchor_subject);
	else if (self)
		se_add_check(id, "anchor", true, "self-signed root '%s' (sha256 %s)",
			     id->anchor_subject, id->anchor_sha256);
	else if (pol && pol->allow_intermediate_anchor)
		se_add_check(id, "anchor", true, "anchored at an intermediate '%s' (sha256 %s; "
			     "the policy allows intermediate anchors)", id->anchor_subject,
			     id->anchor_sha256);
	else
		se_add_check(id, "anchor", false, "anchored at an intermediate '%s': the trust "
			     "store must hold the manufacturer's self-signed root (or set "
			     "identity: {allow_intermediate_anchor: true} in station.yaml)",
			     id->anchor_subject);
}

static void oids_str(const mbedtls_x509_sequence *s, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (; s && s->buf.p && n + 2 < cap; s = s->next) {
		char oid[64];

		if (mbedtls_oid_get_numeric_string(oid, sizeof(oid), &s->buf) < 0)
			snprintf(oid, sizeof(oid), "?");
		n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", oid);
	}
	if (!out[0])
		snprintf(out, cap, "none");
}

static void check_eku(const mbedtls_x509_crt *leaf, struct se_identity *id)
{
	char list[200];

	if (!(leaf->ext_types & MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE)) {
		se_add_check(id, "ext-key-usage", true, "absent (any usage)");
		return;
	}
	oids_str(&leaf->ext_key_usage, list, sizeof(list));
	if (mbedtls_x509_crt_check_extended_key_usage(leaf, MBEDTLS_OID_CLIENT_AUTH,
						      MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) == 0)
		se_add_check(id, "ext-key-usage", true, "%s (allows clientAuth)", list);
	else
		se_add_check(id, "ext-key-usage", false, "the extended key usage (%s) does not "
			     "allow clientAuth (1.3.6.1.5.5.7.3.2) or anyExtendedKeyUsage: the "
			     "identity may not authenticate the device", list);
}

static void check_policies(const mbedtls_x509_crt *leaf, const struct se_policy *pol,
			   struct se_identity *id)
{
	char list[200], want[200];
	size_t n = 0;

	if (!pol || !pol->policies[0])
		return;
	oids_str(&leaf->certificate_policies, list, sizeof(list));
	for (const mbedtls_x509_sequence *s = &leaf->certificate_policies; s && s->buf.p;
	     s = s->next) {
		char oid[64];

		if (mbedtls_oid_get_numeric_string(oid, sizeof(oid), &s->buf) < 0)
			continue;
		for (int i = 0; i < SE_MAX_POLICIES && pol->policies[i]; i++)
			if (!strcmp(oid, pol->policies[i])) {
				se_add_check(id, "policies", true, "asserts %s", oid);
				return;
			}
	}
	want[0] = '\0';
	for (int i = 0; i < SE_MAX_POLICIES && pol->policies[i] && n + 2 < sizeof(want); i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%s", i ? ", " : "",
				      pol->policies[i]);
	se_add_check(id, "policies", false, "the certificate asserts %s%s, none of the "
		     "policies the station requires (%s)", strcmp(list, "none") ? "the policies " : "",
		     list, want);
}

void se_check_path(const mbedtls_x509_crt *chain, const mbedtls_x509_crt *trust,
		   const mbedtls_x509_crt *anchor, const struct se_exts *x,
		   const struct se_policy *pol, struct se_identity *id)
{
	struct se_path p;
	char why[sizeof(id->checks[0].detail)];

	se_path_build(chain, trust, &p);
	check_critical(chain, &p, x, id);
	check_pathlen(&p, id);
	if (se_name_constraints(&p, x, why, sizeof(why)) == ST_OK)
		se_add_check(id, "name-constraints", true, "%s", why);
	else
		se_add_check(id, "name-constraints", false, "%s", why);
	if (anchor)
		check_anchor(anchor, pol, id);
	check_eku(chain, id);
	check_policies(chain, pol, id);
}
