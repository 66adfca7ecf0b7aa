// SPDX-License-Identifier: Apache-2.0
/*
 * INeS v2 certification authorities, as the seed's demo client reads them
 * (apiREST_getCAList, apiREST_getCAdetails, apiREST_getCACertificateChain and
 * fillResultStruct in wisekey_Ines_Agent.c, NCCoE.factory.pub; its
 * apiREST_process puts every route under /v2/organizations/{org}):
 *
 *   GET .../certificationauthorities          -> 200 {"certificationauthorities":
 *        [{"id", "caAlias", "thumbprint", "serverName", "caName", "description",
 *          "certificate"}]}   (the demo reads the first member's list)
 *   GET .../certificationauthorities/{id}     -> 200 {"ca": {the same fields}}
 *   GET .../certificationauthorities/{id}/download -> 200 {"root": {"subject",
 *        "issuer", "certificate"}, "issuing": {the same}}
 *
 * cms-sim serves one CA, id 1: its --ca-cert, and as root the --trust
 * certificate that issued it.  The list member's name, the id's type (an
 * integer here) and the certificates' encoding (base64 DER, as an issued
 * certificate's) are our guesses: the demo does not show them (docs/cms.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha1.h>

#include "tools/cms-sim/cms-sim.h"

static json_t *ca_obj(const mbedtls_x509_crt *crt)
{
	unsigned char h[20];
	char sha1[41], dn[512];
	char *b64 = b64_of(crt->raw.p, crt->raw.len);
	json_t *o;

	mbedtls_sha1_ret(crt->raw.p, crt->raw.len, h);
	hex_of(h, sizeof(h), sha1, 1);
	mbedtls_x509_dn_gets(dn, sizeof(dn), &crt->subject);
	o = b64 ? json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "id", 1, "caAlias", "cms-sim",
			    "thumbprint", sha1, "serverName", "127.0.0.1", "caName", dn,
			    "description", "cms-sim's issuing CA (--ca-cert)", "certificate", b64)
		: NULL;
	free(b64);
	return o;
}

static json_t *chain_member(const mbedtls_x509_crt *crt)
{
	char subject[512], issuer[512];
	char *b64 = b64_of(crt->raw.p, crt->raw.len);
	json_t *o;

	mbedtls_x509_dn_gets(subject, sizeof(subject), &crt->subject);
	mbedtls_x509_dn_gets(issuer, sizeof(issuer), &crt->issuer);
	o = b64 ? json_pack("{s:s, s:s, s:s}", "subject", subject, "issuer", issuer,
			    "certificate", b64) : NULL;
	free(b64);
	return o;
}

/* The --trust certificate whose subject is the CA's issuer. */
static const mbedtls_x509_crt *root_of(const struct sim *s)
{
	const mbedtls_x509_crt *ca = &s->ca.crt;

	for (const mbedtls_x509_crt *t = s->trust; t && t->raw.len; t = t->next)
		if (t->subject_raw.len == ca->issuer_raw.len &&
		    !memcmp(t->subject_raw.p, ca->issuer_raw.p, ca->issuer_raw.len))
			return t;
	return NULL;
}

char *ines_cas(struct sim *s, const char *rest, int *status)
{
	const mbedtls_x509_crt *root;
	json_t *o;

	if (!s->ca.loaded)
		return fail_with(status, 404, "not-found", "this cms-sim has no CA (--ca-cert)");
	if (!*rest)
		o = json_pack("{s:[o]}", "certificationauthorities", ca_obj(&s->ca.crt));
	else if (!strcmp(rest, "/1"))
		o = json_pack("{s:o}", "ca", ca_obj(&s->ca.crt));
	else if (!strcmp(rest, "/1/download") && (root = root_of(s)) != NULL)
		o = json_pack("{s:o, s:o}", "root", chain_member(root), "issuing",
			      chain_member(&s->ca.crt));
	else
		return fail_with(status, 404, "not-found", "no such certification authority "
				 "(cms-sim serves id 1)");
	if (!o)
		return fail_with(status, 500, "internal", "cannot describe the CA");
	*status = 200;
	return json_body(o);
}
