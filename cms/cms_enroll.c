// SPDX-License-Identifier: Apache-2.0
/*
 * Enrolment: the SE made a key pair and signed a CSR; the CMS's CA certifies
 * it.  v2: POST /v2/organizations/{org}/certificates with template_id, the
 * subject as {oid, value} pairs (2.5.4.5 serialNumber is the board's own,
 * 2.5.4.3 commonName), the CSR as base64 DER and the validity in days.
 * EST (cms_est.c) sends the CSR alone and the CA takes its subject.  Either
 * way the answer must certify the CSR's public key, or it is refused.
 * Also the v2 look-up by serial number.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <mbedtls/x509_csr.h>

#define LOG_PREFIX "cms"
#include "common/log.h"
#include "cms/cms-internal.h"

void cms_enroll_result_free(struct cms_enroll_result *res)
{
	if (!res)
		return;
	free(res->cert_pem);
	res->cert_pem = NULL;
}

static int csr_b64(const char *csr_pem, char **out, struct st_error *e)
{
	mbedtls_x509_csr csr;
	int ret;

	*out = NULL;
	mbedtls_x509_csr_init(&csr);
	ret = mbedtls_x509_csr_parse(&csr, (const unsigned char *)csr_pem, strlen(csr_pem) + 1);
	if (ret != 0)
		ret = st_fail(e, ST_ERR_PARSE, "the CSR to enrol is not a PKCS#10 request in PEM");
	else if (!(*out = cms_b64(csr.raw.p, csr.raw.len)))
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory encoding the CSR");
	mbedtls_x509_csr_free(&csr);
	return ret;
}

static int enroll_body(const struct cms_config *c, const struct cms_enroll_request *r,
		       char **body, struct st_error *e)
{
	json_t *subject, *o;
	char *csr = NULL;
	int days = r->validity_days > 0 ? r->validity_days :
		   c->validity_days > 0 ? c->validity_days : 365;
	int ret;

	ret = csr_b64(r->csr_pem, &csr, e);
	if (ret < 0)
		return ret;
	subject = json_pack("[{s:s, s:s}]", "oid", "2.5.4.5", "value", r->serial);
	if (subject && r->subject_cn && r->subject_cn[0])
		json_array_append_new(subject, json_pack("{s:s, s:s}", "oid", "2.5.4.3",
							 "value", r->subject_cn));
	o = subject ? json_pack("{s:s, s:o, s:s, s:i}", "template_id",
				c->template_id ? c->template_id : "", "subject", subject,
				"csr", csr, "validity_period", days) : NULL;
	*body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	free(csr);
	return *body ? ST_OK : st_fail(e, ST_ERR_NOMEM, "out of memory preparing the CMS request");
}

static int parse_certificate(const struct cms_resp *r, void *out, struct st_error *e)
{
	return cms_v2_parse_certificate(r->data, r->len, r->status, out, e);
}

static int v2_enroll(const struct cms_config *c, const struct cms_enroll_request *r,
		     struct cms_enroll_result *res, struct st_error *e)
{
	char path[512];
	struct cms_op op = { .v2 = 1, .parse = parse_certificate, .out = res,
			     .http_status = &res->http_status };
	char *body = NULL;
	int ret;

	if (!c->template_id || !c->template_id[0])
		return st_fail(e, ST_ERR_ARG, "v2 enrolment needs cms.template_id in station.yaml "
			       "(the CMS's certificate template)");
	ret = cms_v2_path(c, "certificates", path, sizeof(path), e);
	if (ret == ST_OK)
		ret = enroll_body(c, r, &body, e);
	if (ret < 0)
		return ret;
	op.call = (struct cms_call){ .method = "POST", .path = path, .ctype = "application/json",
				     .body = body, .body_len = strlen(body) };
	ret = cms_retry(c, "enrolling", cms_op_attempt, &op, &res->attempts, e);
	free(body);
	return ret;
}

int cms_enroll(const struct cms_config *c, const struct cms_enroll_request *r,
	       struct cms_enroll_result *res, struct st_error *e)
{
	int ret;

	memset(res, 0, sizeof(*res));
	ret = cms_check_config(c, e);
	if (ret < 0)
		return ret;
	if (!r || !r->serial || !r->serial[0] || !r->csr_pem)
		return st_fail(e, ST_ERR_ARG, "CMS enrolment needs the board serial and a CSR");
	if (c->protocol == CMS_V1)
		return st_fail(e, ST_ERR_ARG, "cms.protocol v1 cannot enrol: set protocol v2 or est "
			       "in station.yaml");
	if (c->protocol == CMS_EST)
		ret = cms_est_enroll(c, r, res, e);
	else
		ret = v2_enroll(c, r, res, e);
	if (ret == ST_OK)
		ret = cms_cert_matches_csr(res->cert_pem, r->csr_pem, e);
	if (ret < 0) {
		cms_enroll_result_free(res);
		return ret;
	}
	log_info("%s: enrolled, certificate %s serial %s (HTTP %d, %d attempt%s)", r->serial,
		 res->certificate_id[0] ? res->certificate_id : "-", res->serial_number,
		 res->http_status, res->attempts, res->attempts == 1 ? "" : "s");
	return ST_OK;
}

/* --- look-up ------------------------------------------------------------- */
static int parse_lookup(const struct cms_resp *r, void *out, struct st_error *e)
{
	struct cms_lookup_result *res = out;
	json_t *o = NULL, *arr;
	size_t i;
	int ret;

	ret = cms_json_object(r->data, r->len, r->status, &o, e);
	arr = json_object_get(o, "certificates");
	if (ret == ST_OK && !json_is_array(arr))
		ret = st_fail(e, ST_ERR_PARSE, "CMS look-up answer lacks a \"certificates\" list");
	if (ret == ST_OK)
		res->count = (int)json_array_size(arr);
	for (i = 0; ret == ST_OK && i < json_array_size(arr) && i < CMS_LOOKUP_IDS; i++)
		ret = cms_json_str(json_array_get(arr, i), "certificate_id", res->ids[i],
				   sizeof(res->ids[i]), 0, e);
	json_decref(o);
	return ret;
}

int cms_lookup(const struct cms_config *c, const char *serial, struct cms_lookup_result *res,
	       struct st_error *e)
{
	char path[512], tail[200];
	int ret, attempts, status;
	struct cms_op op = { .v2 = 1, .parse = parse_lookup, .out = res, .http_status = &status };

	memset(res, 0, sizeof(*res));
	ret = cms_check_config(c, e);
	if (ret < 0)
		return ret;
	if (c->protocol != CMS_V2)
		return st_fail(e, ST_ERR_ARG, "look-ups need cms.protocol v2");
	for (const char *p = serial; p && *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.:", *p))
			return st_fail(e, ST_ERR_ARG, "serial '%.64s' holds characters a look-up "
				       "cannot send", serial);
	if (!serial || strlen(serial) > 128)
		return st_fail(e, ST_ERR_ARG, "a look-up needs a serial of 1..128 characters");
	snprintf(tail, sizeof(tail), "certificates?serial_number=%s", serial);
	ret = cms_v2_path(c, tail, path, sizeof(path), e);
	if (ret < 0)
		return ret;
	op.call = (struct cms_call){ .method = "GET", .path = path };
	return cms_retry(c, "looking up", cms_op_attempt, &op, &attempts, e);
}
