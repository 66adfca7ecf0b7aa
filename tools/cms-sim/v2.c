// SPDX-License-Identifier: Apache-2.0
/*
 * The INeS-REST-API-v2-shaped routes and RFC 7030 EST, all behind mTLS (a
 * client certificate from --client-ca, verified in the handshake):
 *
 *   POST /v2/auth                                  200 {"access_token","expires_in"}
 *   POST /v2/organizations/{org}/certificates      201 {"certificate" (base64 DER),
 *        {"template_id","subject":[{oid,value}],        "certificate_id","serial_number",
 *         "csr" (base64 DER),"validity_period"}         "thumbprint"}
 *   GET  /v2/organizations/{org}/certificates?serial_number=S   200 {"certificates":[...]}
 *   POST /v2/organizations/{org}/devices           201 registered | 200 already-registered
 *        {"serial_number","chip_serial","certificate","chain":[...],"station","fixture"}
 *   GET  /v2/organizations/{org}/devices?serial_number=S        200 {"devices":[...]}
 *   POST /.well-known/est/simpleenroll             200 application/pkcs7-mime certs-only
 *
 * Every /v2/organizations call needs "Authorization: Bearer <token>" from
 * /v2/auth over a connection with the same client certificate.  Devices are
 * keyed by certificate fingerprint, so a repeat is "already-registered".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/base64.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>

#include "tools/cms-sim/cms-sim.h"

#define ORG_PREFIX "/v2/organizations/"
#define CERT_B64_MAX 8192

static char *fail_with(int *status, int code, const char *error, const char *msg)
{
	*status = code;
	return error_body(error, msg);
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static char *b64(const unsigned char *der, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1, olen;
	char *s = malloc(cap);

	if (s && mbedtls_base64_encode((unsigned char *)s, cap, &olen, der, len) != 0) {
		free(s);
		s = NULL;
	}
	return s;
}

/* base64 (white space allowed: EST bodies are line-wrapped) -> heap DER. */
static unsigned char *unb64(const char *s, size_t len, size_t *out_len)
{
	char *clean = malloc(len + 1);
	unsigned char *der = malloc(len / 4 * 3 + 3);
	size_t n = 0;

	for (size_t i = 0; clean && i < len; i++)
		if (!strchr(" \t\r\n", s[i]))
			clean[n++] = s[i];
	if (!clean || !der || mbedtls_base64_decode(der, len / 4 * 3 + 3, out_len,
						    (unsigned char *)clean, n) != 0 || !*out_len) {
		free(der);
		der = NULL;
	}
	free(clean);
	return der;
}

static char *der_pem(const unsigned char *der, size_t len)
{
	size_t cap = 2 * len + 100, olen;
	char *pem = malloc(cap);

	if (pem && mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
					    "-----END CERTIFICATE-----\n", der, len,
					    (unsigned char *)pem, cap, &olen) != 0) {
		free(pem);
		pem = NULL;
	}
	return pem;
}

/* --- tokens --------------------------------------------------------------- */
static char *do_auth(struct sim *s, const struct http_req *r, int *status)
{
	unsigned char raw[32];
	struct token *t = NULL;
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < s->n_tokens && !t; i++)	/* reuse an expired slot */
		if (s->tokens[i].expires <= now)
			t = &s->tokens[i];
	if (!t)
		t = &s->tokens[s->n_tokens < TOKENS_MAX ? s->n_tokens++ : 0];
	if (mbedtls_ctr_drbg_random(s->drbg, raw, sizeof(raw)) != 0)
		return fail_with(status, 500, "internal", "no randomness for a token");
	hex(raw, sizeof(raw), t->value);
	snprintf(t->client_fp, sizeof(t->client_fp), "%s", r->client_fp);
	t->expires = now + s->token_ttl;
	fprintf(stderr, "cms-sim: token issued to client '%s' for %d s\n", r->client_cn,
		s->token_ttl);
	*status = 200;
	return json_body(json_pack("{s:s, s:s, s:i}", "access_token", t->value,
				   "token_type", "Bearer", "expires_in", s->token_ttl));
}

static int token_ok(const struct sim *s, const struct http_req *r)
{
	time_t now = time(NULL);

	if (strncmp(r->auth, "Bearer ", 7) != 0)
		return 0;
	for (size_t i = 0; i < s->n_tokens; i++)
		if (s->tokens[i].expires > now && strcmp(s->tokens[i].value, r->auth + 7) == 0)
			return strcmp(s->tokens[i].client_fp, r->client_fp) == 0;
	return 0;
}

/* --- enrolment ------------------------------------------------------------ */
static const struct {
	const char *dotted, *der;
	size_t len;
	int tag;
} subject_oids[] = {
	{ "2.5.4.5", MBEDTLS_OID_AT_SERIAL_NUMBER, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_SERIAL_NUMBER),
	  MBEDTLS_ASN1_PRINTABLE_STRING },
	{ "2.5.4.3", MBEDTLS_OID_AT_CN, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN), MBEDTLS_ASN1_UTF8_STRING },
	{ "2.5.4.10", MBEDTLS_OID_AT_ORGANIZATION, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORGANIZATION),
	  MBEDTLS_ASN1_UTF8_STRING },
	{ "2.5.4.11", MBEDTLS_OID_AT_ORG_UNIT, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORG_UNIT),
	  MBEDTLS_ASN1_UTF8_STRING },
	{ "2.5.4.6", MBEDTLS_OID_AT_COUNTRY, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_COUNTRY),
	  MBEDTLS_ASN1_PRINTABLE_STRING },
};

/* The request's [{oid, value}] as a name; *serial gets the 2.5.4.5 value. */
static int subject_from_json(json_t *arr, mbedtls_asn1_named_data **out, const char **serial,
			     char *msg, size_t cap)
{
	size_t i, k, n = sizeof(subject_oids) / sizeof(subject_oids[0]);
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

		for (k = 0; oid && k < n && strcmp(oid, subject_oids[k].dotted); k++)
			;
		if (!oid || !val || k == n || !val[0] || strlen(val) > 64) {
			snprintf(msg, cap, "subject[%zu]: need an oid of 2.5.4.{3,5,6,10,11} and a "
				 "value of 1..64 characters", i);
			return -1;
		}
		if (k == 0)
			*serial = val;
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

/* The CSR subject's serialNumber (EST), "" when it has none. */
static const char *csr_serial(const mbedtls_x509_csr *csr, char *buf, size_t cap)
{
	const mbedtls_x509_name *n;

	buf[0] = '\0';
	for (n = &csr->subject; n; n = n->next)
		if (n->oid.len == MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_SERIAL_NUMBER) &&
		    !memcmp(n->oid.p, MBEDTLS_OID_AT_SERIAL_NUMBER, n->oid.len))
			snprintf(buf, cap, "%.*s", (int)n->val.len, (const char *)n->val.p);
	return buf;
}

/* Certify csr_der for subject; record it; answer the certificate. */
static char *issue(struct sim *s, const unsigned char *csr_der, size_t csr_len,
		   mbedtls_asn1_named_data *subject, const char *serial, int days,
		   int *status, const struct reg_rec **rec, unsigned char **der, size_t *der_len)
{
	struct reg_rec nr = { 0 };
	mbedtls_x509_csr csr;
	struct leaf_facts f;
	mbedtls_x509_crt crt;
	char msg[512], sn[65];
	char *out = NULL;

	mbedtls_x509_csr_init(&csr);
	mbedtls_x509_crt_init(&crt);
	*der = NULL;
	if (ca_parse_csr(&csr, csr_der, csr_len, msg, sizeof(msg)) < 0) {
		mbedtls_asn1_free_named_data_list(&subject);
		out = fail_with(status, 400, "bad-request", msg);
		goto done;
	}
	if (!subject) {
		ca_subject_from_csr(&csr, &subject);
		serial = csr_serial(&csr, sn, sizeof(sn));
	}
	if (ca_issue(&s->ca, &csr.pk, subject, days, s->drbg, der, der_len, msg, sizeof(msg)) < 0 ||
	    mbedtls_x509_crt_parse_der(&crt, *der, *der_len) != 0 ||
	    verify_chain(&s->ca.crt, &crt, &f, msg, sizeof(msg)) < 0) {
		out = fail_with(status, 500, "internal", msg);
		goto done;
	}
	nr.kind = strdup("issued");
	nr.serial = strdup(serial ? serial : "");
	nr.chip_serial = strdup("");
	nr.cert_serial = strdup(f.cert_serial);
	nr.fingerprint = strdup(f.fingerprint);
	nr.cert_pem = der_pem(*der, *der_len);
	if (reg_add(&s->reg, &nr, rec) < 0)
		out = fail_with(status, 500, "internal", "cannot record the certificate");
done:
	if (out) {
		free(*der);
		*der = NULL;
	}
	mbedtls_x509_crt_free(&crt);
	mbedtls_x509_csr_free(&csr);
	return out;
}

static char *do_enroll(struct sim *s, json_t *o, int *status)
{
	mbedtls_asn1_named_data *subject = NULL;
	const struct reg_rec *rec = NULL;
	const char *serial, *csr = json_string_value(json_object_get(o, "csr"));
	json_t *days = json_object_get(o, "validity_period");
	unsigned char *csr_der = NULL, *der = NULL;
	size_t csr_len = 0, der_len = 0;
	char msg[256], *out, *cert;

	if (!json_string_value(json_object_get(o, "template_id")) || !csr ||
	    (days && (!json_is_integer(days) || json_integer_value(days) < 0 ||
		      json_integer_value(days) > 36500)))
		return fail_with(status, 400, "bad-request", "need template_id, csr (base64 DER) "
				 "and validity_period 0..36500 days");
	if (subject_from_json(json_object_get(o, "subject"), &subject, &serial, msg,
			      sizeof(msg)) < 0) {
		mbedtls_asn1_free_named_data_list(&subject);
		return fail_with(status, 400, "bad-request", msg);
	}
	csr_der = unb64(csr, strlen(csr), &csr_len);
	if (!csr_der) {
		mbedtls_asn1_free_named_data_list(&subject);
		return fail_with(status, 400, "bad-request", "csr is not base64");
	}
	out = issue(s, csr_der, csr_len, subject, serial,
		    days ? (int)json_integer_value(days) : 365, status, &rec, &der, &der_len);
	free(csr_der);
	if (out)
		return out;
	cert = b64(der, der_len);
	*status = 201;
	out = json_body(json_pack("{s:s, s:s, s:s, s:s}", "certificate", cert ? cert : "",
				  "certificate_id", rec->id, "serial_number", rec->cert_serial,
				  "thumbprint", rec->fingerprint));
	free(cert);
	free(der);
	return out;
}

/* EST: the body is the CSR, base64 DER; the subject is the CSR's own. */
static char *do_est(struct sim *s, const struct http_req *r, int *status)
{
	const struct reg_rec *rec;
	unsigned char *csr_der, *der = NULL, *p7 = NULL;
	size_t csr_len = 0, der_len = 0, p7_len = 0;
	char *out;

	if (strncasecmp(r->ctype, "application/pkcs10", 18) != 0)
		return fail_with(status, 415, "unsupported-media-type",
				 "simpleenroll wants Content-Type application/pkcs10");
	csr_der = r->body ? unb64(r->body, r->body_len, &csr_len) : NULL;
	if (!csr_der)
		return fail_with(status, 400, "bad-request", "the body is not a base64 CSR");
	out = issue(s, csr_der, csr_len, NULL, NULL, 3650, status, &rec, &der, &der_len);
	free(csr_der);
	if (out)
		return out;
	if (ca_pkcs7_certs_only(der, der_len, &p7, &p7_len) < 0) {
		free(der);
		return fail_with(status, 500, "internal", "cannot write the PKCS#7 answer");
	}
	out = b64(p7, p7_len);
	free(p7);
	free(der);
	*status = 200;
	s->answer_ctype = "application/pkcs7-mime; smime-type=certs-only";
	return out;
}

/* --- registration of a pre-provisioned identity ------------------------- */
static int parse_chain(json_t *o, mbedtls_x509_crt *crt, char *msg, size_t cap)
{
	const char *leaf = json_string_value(json_object_get(o, "certificate"));
	json_t *chain = json_object_get(o, "chain"), *it;
	unsigned char *der;
	size_t len, i;
	int ret;

	if (!leaf || (chain && !json_is_array(chain)) || json_array_size(chain) > 8) {
		snprintf(msg, cap, "need certificate (base64 DER) and chain (a list, at most 8)");
		return -1;
	}
	der = unb64(leaf, strlen(leaf), &len);
	ret = der ? mbedtls_x509_crt_parse_der(crt, der, len) : -1;
	free(der);
	json_array_foreach(chain, i, it) {
		const char *c = json_string_value(it);

		der = c && ret == 0 ? unb64(c, strlen(c), &len) : NULL;
		ret = der ? mbedtls_x509_crt_parse_der(crt, der, len) : -1;
		free(der);
	}
	if (ret != 0)
		snprintf(msg, cap, "certificate or chain is not base64 DER X.509");
	return ret ? -1 : 0;
}

static char *device_answer(int *status, int code, const struct reg_rec *r, const char *what)
{
	*status = code;
	return json_body(json_pack("{s:s, s:s, s:s, s:s, s:s}", "device_id", r->id, "status", what,
				   "serial_number", r->serial, "certificate_serial", r->cert_serial,
				   "thumbprint", r->fingerprint));
}

static char *do_device(struct sim *s, json_t *o, int *status)
{
	const char *serial = json_string_value(json_object_get(o, "serial_number"));
	const struct reg_rec *by_serial, *by_fp, *added;
	struct reg_rec nr = { 0 };
	mbedtls_x509_crt crt;
	struct leaf_facts f;
	char msg[768], *out;
	const char *v;

	mbedtls_x509_crt_init(&crt);
	if (!serial || !serial[0] || strlen(serial) > 64) {
		out = fail_with(status, 400, "bad-request", "serial_number must be 1..64 characters");
		goto out;
	}
	if (parse_chain(o, &crt, msg, sizeof(msg)) < 0 ||
	    verify_chain(s->trust, &crt, &f, msg, sizeof(msg)) < 0) {
		out = fail_with(status, 400, "bad-request", msg);
		goto out;
	}
	by_serial = reg_by_serial(&s->reg, serial);
	by_fp = reg_by_fingerprint(&s->reg, f.fingerprint);
	if (by_fp && by_fp == by_serial) {
		out = device_answer(status, 200, by_fp, "already-registered");
	} else if (by_fp || by_serial) {
		snprintf(msg, sizeof(msg), by_fp ? "this certificate is already registered under "
			 "serial %s (%s)" : "serial %s is already registered (%s) with another "
			 "certificate", by_fp ? by_fp->serial : serial, (by_fp ? by_fp : by_serial)->id);
		out = fail_with(status, 409, "conflict", msg);
	} else {
		nr.serial = strdup(serial);
		v = json_string_value(json_object_get(o, "chip_serial"));
		nr.chip_serial = strdup(v ? v : "");
		v = json_string_value(json_object_get(o, "station"));
		nr.station = strdup(v ? v : "");
		v = json_string_value(json_object_get(o, "fixture"));
		nr.fixture = strdup(v ? v : "");
		nr.cert_serial = strdup(f.cert_serial);
		nr.fingerprint = strdup(f.fingerprint);
		nr.cert_pem = der_pem(crt.raw.p, crt.raw.len);
		if (reg_add(&s->reg, &nr, &added) < 0)
			out = fail_with(status, 500, "internal", "cannot record the registration");
		else
			out = device_answer(status, 201, added, "registered");
	}
out:
	mbedtls_x509_crt_free(&crt);
	return out;
}

/* GET ...?serial_number=S: subject serial or certificate serial, either kind. */
static char *do_list(struct sim *s, const char *query, int devices, int *status)
{
	const char *q = query ? strstr(query, "serial_number=") : NULL;
	json_t *arr = json_array();

	q = q ? q + strlen("serial_number=") : NULL;
	for (size_t i = 0; arr && i < s->reg.n; i++) {
		const struct reg_rec *r = &s->reg.recs[i];
		int dev = !r->kind || !strcmp(r->kind, "device");

		if (devices && !dev)
			continue;
		if (q && strcmp(q, r->serial) && strcasecmp(q, r->cert_serial ? r->cert_serial : ""))
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
			devices ? "device_id" : "certificate_id", r->id, "kind", dev ? "device" : "issued",
			"serial_number", r->serial, "certificate_serial", r->cert_serial ? r->cert_serial : "",
			"thumbprint", r->fingerprint, "created_at", r->registered_at));
	}
	*status = 200;
	return json_body(json_pack("{s:o}", devices ? "devices" : "certificates", arr));
}

static char *org_route(struct sim *s, const struct http_req *r, int *status)
{
	char path[sizeof(r->path)], *org = path + strlen(ORG_PREFIX), *res, *query;
	json_error_t jerr;
	json_t *o;
	char *out;

	snprintf(path, sizeof(path), "%s", r->path);
	res = strchr(org, '/');
	if (!res)
		return fail_with(status, 404, "not-found", "no such endpoint");
	*res++ = '\0';
	query = strchr(res, '?');
	if (query)
		*query++ = '\0';
	if (s->org && strcmp(org, s->org) != 0)
		return fail_with(status, 404, "not-found", "unknown organization");
	if (strcmp(r->method, "GET") == 0 && (!strcmp(res, "certificates") || !strcmp(res, "devices")))
		return do_list(s, query, !strcmp(res, "devices"), status);
	if (strcmp(r->method, "POST") != 0 || (strcmp(res, "certificates") && strcmp(res, "devices")))
		return fail_with(status, 404, "not-found", "no such endpoint");
	o = r->body ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		return fail_with(status, 400, "bad-request", "body is not a JSON object");
	}
	out = !strcmp(res, "devices") ? do_device(s, o, status) : do_enroll(s, o, status);
	json_decref(o);
	return out;
}

int v2_handle(struct sim *s, const struct http_req *r, int *status, char **body)
{
	int est = strcmp(r->path, "/.well-known/est/simpleenroll") == 0;

	if (!r->client_ok) {
		*body = fail_with(status, 401, "unauthorized", "a client certificate issued by the "
				  "station client CA is required");
		return 1;
	}
	if (!s->ca.loaded && (est || strncmp(r->path, ORG_PREFIX, strlen(ORG_PREFIX)) == 0) &&
	    strcmp(r->method, "POST") == 0) {
		*body = fail_with(status, 501, "not-implemented", "this cms-sim has no --ca-cert");
		return 1;
	}
	if (est && strcmp(r->method, "POST") == 0)
		*body = do_est(s, r, status);
	else if (strcmp(r->path, "/v2/auth") == 0 && strcmp(r->method, "POST") == 0)
		*body = do_auth(s, r, status);
	else if (strncmp(r->path, ORG_PREFIX, strlen(ORG_PREFIX)) != 0)
		*body = fail_with(status, 404, "not-found", "no such endpoint");
	else if (!token_ok(s, r))
		*body = fail_with(status, 401, "unauthorized", "missing, expired or foreign bearer "
				  "token: POST /v2/auth first");
	else
		*body = org_route(s, r, status);
	return 1;
}
