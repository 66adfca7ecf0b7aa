/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station.yaml identity: {cms_status: true}: the CMS's status answer for a
 * certificate (INeS v2 .../certificates/status, cms_status()) as an online
 * revocation source of the identity checks (se_policy.status).  Used by the
 * identity and enroll steps and by `station cert check -c`.
 */
#ifndef ST_STATION_CMS_STATUS_H
#define ST_STATION_CMS_STATUS_H

#include "cms/cms.h"
#include "se/se.h"

struct cms_status_src {
	struct cms_config cc;	/* the caller's copy: its deadline and stop flag */
	char source[300];	/* "cms:<url>", the logged revocation source */
	int requests;		/* HTTP requests made (token included) */
};

/* Point p's online revocation source at cc's CMS (copied into src, which
 * must outlive p's use). */
void cms_status_source(struct se_policy *p, struct cms_status_src *src,
		       const struct cms_config *cc);

#endif
