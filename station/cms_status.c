// SPDX-License-Identifier: Apache-2.0
/*
 * The CMS's status answer as a revocation source (station/cms_status.h).
 * cms_status() does the call (bounded by cc's deadline, retried as every
 * CMS call); its word goes to se/ as it came, which judges it ("Good"
 * passes) and keeps it printable.
 */
#include <stdio.h>
#include <string.h>

#include "station/cms_status.h"

static int ask(void *ctx, const char *leaf_pem, struct se_status_answer *a, struct st_error *e)
{
	struct cms_status_src *src = ctx;
	struct cms_result res = { 0 };
	int ret;

	ret = cms_status(&src->cc, leaf_pem, &res, e);
	src->requests += res.requests;
	if (ret < 0)
		return ret;
	snprintf(a->status, sizeof(a->status), "%s", res.cert_status);
	snprintf(a->revoked_at, sizeof(a->revoked_at), "%s", res.revoked_at);
	snprintf(a->reason, sizeof(a->reason), "%s", res.reason);
	return ST_OK;
}

void cms_status_source(struct se_policy *p, struct cms_status_src *src,
		       const struct cms_config *cc)
{
	memset(src, 0, sizeof(*src));
	src->cc = *cc;
	snprintf(src->source, sizeof(src->source), "cms:%s", cc->url ? cc->url : "");
	p->status = ask;
	p->status_ctx = src;
	p->status_source = src->source;
}
