// SPDX-License-Identifier: Apache-2.0
/*
 * INeS v2 certificates, under /v2/organizations/{org}/certificates, in the
 * shapes the seed's demo client (wisekey_Ines_Agent.c, NCCoE.factory.pub)
 * sends and reads:
 *
 *   POST ""                 issue: {"template_id": int, "subject": [{"oid","value"}],
 *                           "san": [{"name","value"}], "csr": base64 DER, "passphrase",
 *                           "include_chain_in_pkcs12": bool, "valid_from",
 *                           "validity_period": int days} -> 200 the certificate object
 *   POST "/status", "/validate"  {"certificate_data": base64 DER} -> 200 {"status":
 *                           "Good"|"Revoked"|"Expired"|"Unknown", "detail", "reason",
 *                           "revocationDate"}
 *   GET  "/{id}", "/thumbprint/{SHA-1 hex}"  -> 200 the certificate object | 404
 *   GET  "/cn/{common name}", "?pagenum=N&pagesize=M"  -> 200 {"certificates": [...]}
 *   POST "/{id}/revoke"     {"revocation_reason", "revocationComment"} -> 200 {"message":"OK"}
 *   POST "/{id}/renew", "/{id}/rekey"   ines_renew.c
 *
 * The certificate object: certificate_id (an integer), organization_id,
 * common_name, issued_dn, certificate (base64 DER), certificate_pkcs12,
 * passphrase, status, issuer, serial_number, valid_from, valid_until,
 * thumbprint (SHA-1, upper-case hex, as the demo's data/Certs file names
 * show), san, revocation_reason, revocation_date.  Certificates are the ones
 * issued here and those imported at start (--import): "issued through this
 * organization".  "Unknown" for a certificate it never issued, and 404 for
 * an unknown id or thumbprint, are our guesses (docs/cms.md).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/oid.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

#include "tools/cms-sim/cms-sim.h"

/* --- the certificate object ------------------------------------------------ */
static void iso(const mbedtls_x509_time *t, char out[24])
{
	snprintf(out, 24, "%04d-%02d-%02dT%02d:%02d:%02dZ", t->year, t->mon, t->day, t->hour,
		 t->min, t->sec);
}

static const char *status_of(const struct reg_rec *r, const mbedtls_x509_crt *crt)
{
	if (r->revoked_at && r->revoked_at[0])
		return "Revoked";
	return mbedtls_x509_time_is_past(&crt->valid_to) ? "Expired" : "Good";
}

static void cn_of(const mbedtls_x509_crt *crt, char *out, size_t cap)
{
	out[0] = '\0';
	for (const mbedtls_x509_name *n = &crt->subject; n; n = n->next)
		if (n->oid.len == MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN) &&
		    !memcmp(n->oid.p, MBEDTLS_OID_AT_CN, n->oid.len))
			snprintf(out, cap, "%.*s", (int)n->val.len, (const char *)n->val.p);
}

static json_t *id_json(const char *id)
{
	for (const char *p = id; *p; p++)
		if (!isdigit((unsigned char)*p))
			return json_string(id);
	return json_integer(strtoll(id, NULL, 10));
}

static int parse_rec(const struct reg_rec *r, mbedtls_x509_crt *crt)
{
	mbedtls_x509_crt_init(crt);
	return r->cert_pem ? mbedtls_x509_crt_parse(crt, (const unsigned char *)r->cert_pem,
						    strlen(r->cert_pem) + 1) : -1;
}

static void sha1_of(const mbedtls_x509_crt *crt, char out[41])
{
	unsigned char h[20];

	mbedtls_sha1_ret(crt->raw.p, crt->raw.len, h);
	hex_of(h, sizeof(h), out, 1);
}

static json_t *cert_json(const struct sim *s, const struct reg_rec *r)
{
	char cn[128], dn[512], issuer[512], from[24], until[24], sha1[41], serial[80];
	mbedtls_x509_crt crt;
	json_t *o = NULL;
	char *b64;

	if (parse_rec(r, &crt) != 0) {
		mbedtls_x509_crt_free(&crt);
		return NULL;
	}
	cn_of(&crt, cn, sizeof(cn));
	mbedtls_x509_dn_gets(dn, sizeof(dn), &crt.subject);
	mbedtls_x509_dn_gets(issuer, sizeof(issuer), &crt.issuer);
	iso(&crt.valid_from, from);
	iso(&crt.valid_to, until);
	sha1_of(&crt, sha1);
	hex_of(crt.serial.p, crt.serial.len < 39 ? crt.serial.len : 39, serial, 1);
	bad_serial_number(&s->faults, &crt, serial, sizeof(serial));
	b64 = b64_of(crt.raw.p, crt.raw.len);
	if (b64)
		o = json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
			      " s:[], s:s, s:s}",
			      "certificate_id", id_json(r->id), "organization_id", s->org ? s->org : "",
			      "common_name", cn, "issued_dn", dn, "certificate", b64,
			      "certificate_pkcs12", "", "passphrase", "", "status", status_of(r, &crt),
			      "issuer", issuer, "serial_number", serial, "valid_from", from,
			      "valid_until", until, "thumbprint", sha1, "san",
			      "revocation_reason", r->revocation_reason ? r->revocation_reason : "",
			      "revocation_date", r->revoked_at ? r->revoked_at : "");
	free(b64);
	mbedtls_x509_crt_free(&crt);
	return o;
}

char *ines_one(const struct sim *s, const struct reg_rec *r, int *status)
{
	json_t *o = r ? cert_json(s, r) : NULL;

	if (!r)
		return fail_with(status, 404, "not-found", "no such certificate in this organization");
	if (!o)
		return fail_with(status, 500, "internal", "cannot describe the certificate");
	*status = 200;
	return json_body(o);
}

/* --- request checking -------------------------------------------------------- */
/* Every key of o is one of allowed: NULL, or the refusal. */
char *ines_keys_only(json_t *o, const char *const *allowed, int *status)
{
	const char *k;
	json_t *v;
	char msg[160];
	size_t i;

	json_object_foreach(o, k, v) {
		for (i = 0; allowed[i] && strcmp(allowed[i], k); i++)
			;
		if (!allowed[i]) {
			snprintf(msg, sizeof(msg), "unknown key \"%.40s\"", k);
			return fail_with(status, 400, "bad-request", msg);
		}
	}
	return NULL;
}

static const struct {
	const char *dotted, *der;
	size_t len;
	int tag;
} subject_oids[] = {
#define A(d, o, t) { d, o, MBEDTLS_OID_SIZE(o), t }
	A("2.5.4.5", MBEDTLS_OID_AT_SERIAL_NUMBER, MBEDTLS_ASN1_PRINTABLE_STRING),
	A("2.5.4.3", MBEDTLS_OID_AT_CN, MBEDTLS_ASN1_UTF8_STRING),
	A("2.5.4.10", MBEDTLS_OID_AT_ORGANIZATION, MBEDTLS_ASN1_UTF8_STRING),
	A("2.5.4.11", MBEDTLS_OID_AT_ORG_UNIT, MBEDTLS_ASN1_UTF8_STRING),
	A("2.5.4.6", MBEDTLS_OID_AT_COUNTRY, MBEDTLS_ASN1_PRINTABLE_STRING),
	A("2.5.4.7", MBEDTLS_OID_AT_LOCALITY, MBEDTLS_ASN1_UTF8_STRING),
	A("2.5.4.8", MBEDTLS_OID_AT_STATE, MBEDTLS_ASN1_UTF8_STRING),
	A("2.5.4.17", MBEDTLS_OID_AT_POSTAL_CODE, MBEDTLS_ASN1_UTF8_STRING),
#undef A
};

/* The request's [{oid, value}] as a name; *serial gets the 2.5.4.5 value.
 * --fault drop-oid= leaves one attribute out, as a template may. */
static int subject_from_json(const struct sim *s, json_t *arr, mbedtls_asn1_named_data **out,
			     const char **serial, char *msg, size_t cap)
{
	static const char *const item_keys[] = { "oid", "value", NULL };
	size_t i, k, n = sizeof(subject_oids) / sizeof(subject_oids[0]);
	int dummy;
	json_t *it;

	*out = NULL;
	*serial = NULL;
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 8) {
		snprintf(msg, cap, "\"subject\" must be a list of 1..8 {oid, value}");
		return -1;
	}
	json_array_foreach(arr, i, it) {
		const char *oid = json_string_value(json_object_get(it, "oid"));
		const char *val = json_string_value(json_object_get(it, "value"));
		char *bad = json_is_object(it) ? ines_keys_only(it, item_keys, &dummy) : NULL;

		free(bad);
		for (k = 0; oid && k < n && strcmp(oid, subject_oids[k].dotted); k++)
			;
		if (bad || !oid || !val || k == n || !val[0] || strlen(val) > 64) {
			snprintf(msg, cap, "subject[%zu]: need exactly {\"oid\": one of 2.5.4.{3,5,6,"
				 "7,8,10,11,17}, \"value\": 1..64 characters}", i);
			return -1;
		}
		if (k == 0)
			*serial = val;
		if (!strcmp(oid, s->faults.drop_oid))
			continue;
		if (ca_name_add(out, subject_oids[k].der, subject_oids[k].len, subject_oids[k].tag,
				(const unsigned char *)val, strlen(val)) < 0) {
			snprintf(msg, cap, "out of memory");
			return -1;
		}
	}
	if (!*serial) {
		snprintf(msg, cap, "subject lacks serialNumber (2.5.4.5): an IDevID names its device");
		return -1;
	}
	return 0;
}

/* The issue request's members and types, as the demo's generateCSRBody writes them. */
static char *issue_types(const struct sim *s, json_t *o, int *status)
{
	static const char *const keys[] = { "template_id", "subject", "san", "csr", "passphrase",
					    "include_chain_in_pkcs12", "valid_from",
					    "validity_period", NULL };
	json_t *t = json_object_get(o, "template_id"), *d = json_object_get(o, "validity_period");
	json_t *san = json_object_get(o, "san"), *inc = json_object_get(o, "include_chain_in_pkcs12");
	char *bad = ines_keys_only(o, keys, status);

	if (bad)
		return bad;
	if (!json_is_integer(t))
		return fail_with(status, 400, "bad-request", "template_id must be an integer");
	if (json_integer_value(t) != s->template_id)
		return fail_with(status, 400, "bad-request", "unknown template_id for this "
				 "organization (GET .../certificatetemplates)");
	if (!json_is_string(json_object_get(o, "csr")))
		return fail_with(status, 400, "bad-request", "csr must be a string: base64 DER");
	if (d && (!json_is_integer(d) || json_integer_value(d) < 1 ||
		  json_integer_value(d) > 36500))
		return fail_with(status, 400, "bad-request", "validity_period must be an integer "
				 "number of days, 1..36500");
	if ((san && !json_is_array(san)) || (inc && !json_is_boolean(inc)) ||
	    (json_object_get(o, "passphrase") && !json_is_string(json_object_get(o, "passphrase"))) ||
	    (json_object_get(o, "valid_from") && !json_is_string(json_object_get(o, "valid_from"))))
		return fail_with(status, 400, "bad-request", "san is a list, include_chain_in_pkcs12 "
				 "a boolean, passphrase and valid_from strings");
	return NULL;
}

static int pub_der(mbedtls_pk_context *pk, unsigned char *buf, size_t cap, unsigned char **der)
{
	int n = mbedtls_pk_write_pubkey_der(pk, buf, cap);

	*der = buf + cap - (n > 0 ? n : 0);
	return n;
}

/* --fault unique-subject (a CMS policy; whether INeS has it, we do not know):
 * a serialNumber that already has a Good certificate for another key is a
 * conflict, 409.  NULL when there is none. */
static char *subject_conflict(struct sim *s, const char *serial, const unsigned char *csr_der,
			      size_t csr_len, int *status)
{
	unsigned char a[256], b[256], *da, *db;
	mbedtls_x509_csr csr;
	mbedtls_x509_crt crt;
	char msg[200], *out = NULL;
	int la, lb;

	if (!s->faults.unique_subject)
		return NULL;
	mbedtls_x509_csr_init(&csr);
	if (mbedtls_x509_csr_parse_der(&csr, csr_der, csr_len) != 0) {
		mbedtls_x509_csr_free(&csr);
		return NULL;	/* refused with its reason by the issue */
	}
	la = pub_der(&csr.pk, a, sizeof(a), &da);
	for (size_t i = 0; !out && i < s->reg.n; i++) {
		const struct reg_rec *r = &s->reg.recs[i];

		if (!r->kind || strcmp(r->kind, "issued") || !r->serial || strcmp(r->serial, serial))
			continue;
		if (parse_rec(r, &crt) == 0 && !strcmp(status_of(r, &crt), "Good")) {
			lb = pub_der(&crt.pk, b, sizeof(b), &db);
			if (la != lb || memcmp(da, db, (size_t)(la > 0 ? la : 0))) {
				snprintf(msg, sizeof(msg), "serialNumber %.64s already has a Good "
					 "certificate (id %s) for another key", serial, r->id);
				out = fail_with(status, 409, "conflict", msg);
			}
		}
		mbedtls_x509_crt_free(&crt);
	}
	mbedtls_x509_csr_free(&csr);
	return out;
}

static char *do_issue(struct sim *s, json_t *o, int *status)
{
	mbedtls_asn1_named_data *subject = NULL;
	struct reg_rec *rec = NULL;
	const char *serial, *csr;
	json_t *days = json_object_get(o, "validity_period");
	unsigned char *csr_der = NULL, *der = NULL;
	size_t csr_len = 0, der_len = 0;
	char msg[256], *out;

	if ((out = issue_types(s, o, status)) != NULL)
		return out;
	if (!s->ca.loaded)
		return fail_with(status, 501, "not-implemented", "this cms-sim has no --ca-cert");
	if (subject_from_json(s, json_object_get(o, "subject"), &subject, &serial, msg,
			      sizeof(msg)) < 0) {
		mbedtls_asn1_free_named_data_list(&subject);
		return fail_with(status, 400, "bad-request", msg);
	}
	csr = json_string_value(json_object_get(o, "csr"));
	csr_der = unb64(csr, strlen(csr), &csr_len);
	if (!csr_der) {
		mbedtls_asn1_free_named_data_list(&subject);
		return fail_with(status, 400, "bad-request", "csr is not base64 DER (no PEM armour)");
	}
	if ((out = subject_conflict(s, serial, csr_der, csr_len, status)) != NULL) {
		mbedtls_asn1_free_named_data_list(&subject);
		free(csr_der);
		return out;
	}
	out = ca_issue_record(s, csr_der, csr_len, subject, serial,
			      days ? (int)json_integer_value(days) : 365, status, &rec, &der,
			      &der_len);
	free(csr_der);
	free(der);
	if (out)
		return out;
	ines_late(s);
	return ines_one(s, rec, status);
}

/* --fault late-issue: the first certificate (issued, renewed or rekeyed) is
 * done and recorded, but answered late. */
void ines_late(struct sim *s)
{
	if (++s->issues_seen == 1 && s->faults.late_issue)
		s->answer_late_ms = s->faults.late_issue;
}

/* --- status ------------------------------------------------------------------ */
static char *do_status(struct sim *s, json_t *o, int *status)
{
	static const char *const keys[] = { "certificate_data", NULL };
	const char *b = json_string_value(json_object_get(o, "certificate_data"));
	unsigned char *der, h[32];
	char fp[65], *bad = ines_keys_only(o, keys, status);
	const char *st = "Unknown", *detail = "this organization did not issue the certificate";
	struct reg_rec *r;
	mbedtls_x509_crt crt;
	size_t len;

	if (bad)
		return bad;
	der = b ? unb64(b, strlen(b), &len) : NULL;
	if (!der)
		return fail_with(status, 400, "bad-request", "certificate_data must be base64 DER");
	mbedtls_sha256_ret(der, len, h, 0);
	free(der);
	hex_of(h, sizeof(h), fp, 0);
	r = reg_issued_by_fingerprint(&s->reg, fp);
	if (r && parse_rec(r, &crt) == 0) {
		st = status_of(r, &crt);
		detail = !strcmp(st, "Good") ? "valid" : !strcmp(st, "Revoked") ? "revoked" :
			 "expired";
	}
	if (r)
		mbedtls_x509_crt_free(&crt);
	*status = 200;
	return json_body(json_pack("{s:s, s:s, s:s, s:s}", "status", st, "detail", detail,
				   "reason", r && r->revocation_reason ? r->revocation_reason : "",
				   "revocationDate", r && r->revoked_at ? r->revoked_at : ""));
}

/* --- look-ups ------------------------------------------------------------------ */
static void pct_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			char h[3] = { s[1], s[2], 0 };

			*o++ = (char)strtol(h, NULL, 16);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Issued certificates with this CN (cn NULL: all), page pagenum of size. */
static char *list(struct sim *s, const char *cn, long pagenum, long size, int *status)
{
	json_t *arr = json_array();
	char c[128];
	mbedtls_x509_crt crt;
	long seen = 0;

	for (size_t i = 0; arr && i < s->reg.n; i++) {
		const struct reg_rec *r = &s->reg.recs[i];

		if (!r->kind || strcmp(r->kind, "issued") || parse_rec(r, &crt) != 0) {
			mbedtls_x509_crt_free(&crt);
			continue;
		}
		cn_of(&crt, c, sizeof(c));
		mbedtls_x509_crt_free(&crt);
		if (cn && strcmp(cn, c))
			continue;
		if (seen++ / size + 1 == pagenum)
			json_array_append_new(arr, cert_json(s, r));
	}
	*status = 200;
	return json_body(json_pack("{s:o}", "certificates", arr));
}

static char *by_thumbprint(struct sim *s, const char *tp, int *status)
{
	mbedtls_x509_crt crt;
	char sha1[41];

	for (size_t i = 0; i < s->reg.n; i++) {
		struct reg_rec *r = &s->reg.recs[i];

		if (!r->kind || strcmp(r->kind, "issued") || parse_rec(r, &crt) != 0) {
			mbedtls_x509_crt_free(&crt);
			continue;
		}
		sha1_of(&crt, sha1);
		mbedtls_x509_crt_free(&crt);
		if (!strcasecmp(sha1, tp))
			return ines_one(s, r, status);
	}
	return ines_one(s, NULL, status);
}

/* ?pagenum=N&pagesize=M, both required, as the demo sends them. */
static char *paged(struct sim *s, const char *q, int *status)
{
	long n = 0, m = 0;
	int used = 0;

	if (sscanf(q, "pagenum=%ld&pagesize=%ld%n", &n, &m, &used) != 2 || q[used] ||
	    n < 1 || m < 1 || m > 100)
		return fail_with(status, 400, "bad-request", "list with ?pagenum=N&pagesize=M "
				 "(N >= 1, M 1..100)");
	return list(s, NULL, n, m, status);
}

static char *do_revoke(struct sim *s, struct reg_rec *r, json_t *o, int *status)
{
	static const char *const keys[] = { "revocation_reason", "revocationComment", NULL };
	static const char *const reasons[] = {
		"unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
		"cessationOfOperation", "certificateHold", "removeFromCRL", "privilegeWithdrawn",
		"aACompromise", NULL,
	};
	const char *why = json_string_value(json_object_get(o, "revocation_reason"));
	char *bad = ines_keys_only(o, keys, status);
	size_t i;

	if (bad)
		return bad;
	for (i = 0; why && reasons[i] && strcmp(reasons[i], why); i++)
		;
	if (!why || !reasons[i])
		return fail_with(status, 400, "bad-request", "revocation_reason must be one of "
				 "RFC 5280's CRLReason names (keyCompromise, superseded, ...)");
	if (!r)
		return ines_one(s, NULL, status);
	if (reg_revoke(&s->reg, r, why) < 0)
		return fail_with(status, 500, "internal", "cannot record the revocation");
	*status = 200;
	return json_body(json_pack("{s:s}", "message", "OK"));
}

char *ines_certificates(struct sim *s, const struct http_req *r, const char *rest, json_t *o,
			int *status)
{
	char buf[256], *sub = buf + 1, *slash;
	int get = !strcmp(r->method, "GET");

	if (!*rest)
		return get ? fail_with(status, 400, "bad-request", "list with ?pagenum=N&pagesize=M")
			   : do_issue(s, o, status);
	if (*rest == '?')
		return get ? paged(s, rest + 1, status)
			   : fail_with(status, 400, "bad-request", "no query on an issue");
	snprintf(buf, sizeof(buf), "%s", rest);	/* "/..." */
	if (!get && (!strcmp(sub, "status") || !strcmp(sub, "validate")))
		return do_status(s, o, status);
	if (get && !strncmp(sub, "thumbprint/", 11))
		return by_thumbprint(s, sub + 11, status);
	if (get && !strncmp(sub, "cn/", 3)) {
		pct_decode(sub + 3);
		return list(s, sub + 3, 1, 1000000, status);
	}
	slash = strchr(sub, '/');
	if (get && !slash)
		return ines_one(s, reg_issued_by_id(&s->reg, sub), status);
	if (!get && slash && !strcmp(slash, "/revoke")) {
		*slash = '\0';
		return do_revoke(s, reg_issued_by_id(&s->reg, sub), o, status);
	}
	if (!get && slash && (!strcmp(slash, "/renew") || !strcmp(slash, "/rekey"))) {
		int rekey = !strcmp(slash, "/rekey");

		*slash = '\0';
		return ines_renew(s, reg_issued_by_id(&s->reg, sub), rekey, o, status);
	}
	return fail_with(status, 404, "not-found", "no such certificates route");
}

/* --import FILE: certificates the organization issued before (the boards'
 * pre-provisioned IDevIDs): each must verify to the CMS's CA. */
int ines_import(struct sim *s, const char *path, char *msg, size_t cap)
{
	const struct reg_rec *added;
	mbedtls_x509_crt crts;
	struct leaf_facts f;
	int n = 0;

	mbedtls_x509_crt_init(&crts);
	if (!s->ca.loaded || mbedtls_x509_crt_parse_file(&crts, path) != 0) {
		snprintf(msg, cap, "--import %s: %s", path, s->ca.loaded ? "not PEM certificates" :
			 "needs --ca-cert (the CA that issued them)");
		mbedtls_x509_crt_free(&crts);
		return -1;
	}
	for (mbedtls_x509_crt *c = &crts; c && c->raw.len; c = c->next) {
		mbedtls_x509_crt one_crt;
		struct reg_rec nr = { 0 };

		mbedtls_x509_crt_init(&one_crt);
		if (mbedtls_x509_crt_parse_der(&one_crt, c->raw.p, c->raw.len) != 0 ||
		    verify_chain(&s->ca.crt, &one_crt, &f, msg, cap) < 0) {
			mbedtls_x509_crt_free(&one_crt);
			mbedtls_x509_crt_free(&crts);
			return -1;
		}
		mbedtls_x509_crt_free(&one_crt);
		if (reg_issued_by_fingerprint(&s->reg, f.fingerprint))
			continue;	/* already known (a restart with the same --db) */
		nr.kind = strdup("issued");
		nr.serial = strdup("");
		nr.cert_serial = strdup(f.cert_serial);
		nr.fingerprint = strdup(f.fingerprint);
		nr.cert_pem = der_pem(c->raw.p, c->raw.len);
		if (reg_add(&s->reg, &nr, &added) < 0) {
			snprintf(msg, cap, "--import %s: cannot record it", path);
			mbedtls_x509_crt_free(&crts);
			return -1;
		}
		n++;
	}
	mbedtls_x509_crt_free(&crts);
	fprintf(stderr, "cms-sim: imported %d certificate%s from %s\n", n, n == 1 ? "" : "s", path);
	return 0;
}
