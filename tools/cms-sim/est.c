// SPDX-License-Identifier: Apache-2.0
/*
 * RFC 7030 EST behind mTLS (a client certificate from --client-ca, no token):
 *   POST /.well-known/est/simpleenroll  Content-Type: application/pkcs10, body
 *        the CSR as base64 DER -> 200 application/pkcs7-mime; smime-type=
 *        certs-only (RFC 7030 4.2.3), the subject the CSR's own.
 * cacerts, simplereenroll and serverkeygen (RFC 7030 4.1, 4.2.2, 4.4; also
 * named in the seed demo's wisekey_Ines_settings.h) are not served: 404.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/cms-sim/cms-sim.h"

void est_handle(struct sim *s, const struct http_req *r, int *status, char **body)
{
	struct reg_rec *rec;
	unsigned char *csr_der, *der = NULL, *p7 = NULL;
	size_t csr_len = 0, der_len = 0, p7_len = 0;
	char *out;

	if (!r->client_ok) {
		*body = fail_with(status, 401, "unauthorized", "a client certificate issued by the "
				  "station client CA is required");
		return;
	}
	if (strcmp(r->path, "/.well-known/est/simpleenroll") != 0 || strcmp(r->method, "POST")) {
		*body = fail_with(status, 404, "not-found", "this cms-sim serves POST "
				  "/.well-known/est/simpleenroll only");
		return;
	}
	if (!s->ca.loaded) {
		*body = fail_with(status, 501, "not-implemented", "this cms-sim has no --ca-cert");
		return;
	}
	if (strncasecmp(r->ctype, "application/pkcs10", 18) != 0) {
		*body = fail_with(status, 415, "unsupported-media-type",
				  "simpleenroll wants Content-Type application/pkcs10");
		return;
	}
	csr_der = r->body ? unb64(r->body, r->body_len, &csr_len) : NULL;
	if (!csr_der) {
		*body = fail_with(status, 400, "bad-request", "the body is not a base64 CSR");
		return;
	}
	out = ca_issue_record(s, csr_der, csr_len, NULL, NULL, 3650, status, &rec, &der, &der_len);
	free(csr_der);
	if (out) {
		*body = out;
		return;
	}
	if (ca_pkcs7_certs_only(der, der_len, &p7, &p7_len) < 0) {
		free(der);
		*body = fail_with(status, 500, "internal", "cannot write the PKCS#7 answer");
		return;
	}
	*body = b64_of(p7, p7_len);
	free(p7);
	free(der);
	*status = 200;
	s->answer_ctype = "application/pkcs7-mime; smime-type=certs-only";
}
