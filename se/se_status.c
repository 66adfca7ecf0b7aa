/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An online revocation source: the caller's function asks about the leaf
 * (the station's asks the CMS, INeS v2 .../certificates/status; se/ has no
 * network) and the answer becomes the "cms-status" check.  Only "Good"
 * passes: "Revoked" and "Expired" are the CMS's verdicts on this
 * certificate, and "Unknown" means the manufacturer's CMS never issued it,
 * which for an identity the station is about to trust is a refusal too.
 * No answer at all is not a verdict on the part: the check says the status
 * is unknown and the error goes back to the caller (an ERROR, not a FAIL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/pem.h>

#define LOG_PREFIX "se"
#include "common/log.h"
#include "se/se-internal.h"

#define LEAF_PEM_MAX 8192
#define NO_ANSWER "unknown: no answer from "

/* The answer's words, bounded and printable: they come from the wire. */
static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static void verdict(const struct se_status_answer *a, const char *src, struct se_identity *id)
{
	if (!strcasecmp(a->status, "Good")) {
		se_add_check(id, "cms-status", true, "Good: %s holds the certificate as valid",
			     src);
	} else if (!strcasecmp(a->status, "Revoked")) {
		se_add_check(id, "cms-status", false, "Revoked: %s revoked the certificate%s%s%s%s: "
			     "refuse the part", src, a->revoked_at[0] ? " on " : "", a->revoked_at,
			     a->reason[0] ? ", reason " : "", a->reason);
	} else if (!strcasecmp(a->status, "Unknown")) {
		se_add_check(id, "cms-status", false, "Unknown: %s did not issue the certificate "
			     "(its status is Unknown there): refuse the part", src);
	} else {
		se_add_check(id, "cms-status", false, "%s: %s does not hold the certificate as "
			     "valid (only Good passes): refuse the part", a->status[0] ? a->status :
			     "(no status)", src);
	}
}

int se_check_status(const mbedtls_x509_crt *leaf, const struct se_policy *p,
		    struct se_identity *id, struct st_error *e)
{
	struct se_status_answer a = { 0 };
	struct st_error why = { 0 };
	const char *src;
	unsigned char *pem;
	size_t olen = 0;
	int ret;

	if (!p || !p->status)
		return ST_OK;
	src = p->status_source && p->status_source[0] ? p->status_source : "the status source";
	if (!strcmp(id->revocation, "none"))
		snprintf(id->revocation, sizeof(id->revocation), "%s", src);
	else if (strlen(id->revocation) + strlen(src) + 2 <= sizeof(id->revocation))
		strcat(strcat(id->revocation, " "), src);
	pem = malloc(LEAF_PEM_MAX);
	if (!pem)
		return st_fail(e, ST_ERR_NOMEM, "out of memory asking the certificate's status");
	ret = mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
				       "-----END CERTIFICATE-----\n", leaf->raw.p, leaf->raw.len,
				       pem, LEAF_PEM_MAX, &olen);
	if (ret != 0) {
		free(pem);
		return st_fail(e, ST_ERR_LIMIT, "the certificate (%zu bytes) is too large to ask "
			       "its status", leaf->raw.len);
	}
	ret = p->status(p->status_ctx, (const char *)pem, &a, &why);
	free(pem);
	if (ret < 0) {
		se_add_check(id, "cms-status", false, NO_ANSWER "%s: %s", src, why.msg);
		return st_fail(e, ret, "the certificate's revocation status is unknown: no answer "
			       "from %s: %s", src, why.msg);
	}
	a.status[sizeof(a.status) - 1] = a.revoked_at[sizeof(a.revoked_at) - 1] = '\0';
	a.reason[sizeof(a.reason) - 1] = '\0';
	clean(a.status);
	clean(a.revoked_at);
	clean(a.reason);
	verdict(&a, src, id);
	log_info("revocation status from %s: %s", src, a.status);
	return ST_OK;
}

bool se_identity_status_unknown(const struct se_identity *id)
{
	const struct se_check *c = se_identity_check(id, "cms-status");

	return c && !c->pass && !strncmp(c->detail, NO_ANSWER, sizeof(NO_ANSWER) - 1);
}
