/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the identity and enroll steps log of an identity, the same way: the
 * identities row (the certificate's claims), identity_trust (trust store,
 * anchor, revocation sources, MASA URL encoding, verdict), and step values:
 * one per check ("pass" or what failed) and the policy's fields, as `station
 * cert check` prints them (se_identity_fields); and the run's trust anchors.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "identity"
#include "common/log.h"
#include "station/steps/steps.h"

static void record_field(void *ctx, const char *key, const char *value)
{
	static const char *const logged[] = { "masa-encoding", "trust", "anchor-subject",
					      "anchor-sha256", "revocation-source", NULL };

	for (int i = 0; logged[i]; i++)
		if (!strcmp(key, logged[i]))
			sr_kv(ctx, key, value);
}

void sr_identity(struct step_result *r, const struct se_identity *id)
{
	static const struct { size_t db, id; } f[] = {
#define F(x) { offsetof(struct db_identity, x), offsetof(struct se_identity, x) }
		F(chip_serial), F(cert_serial), F(subject), F(issuer), F(not_before),
		F(not_after), F(fingerprint), F(spki_sha256), F(subject_serial), F(masa_url),
		F(nonce), F(signature), F(dpp_uri), F(anchor_sha256), F(anchor_subject),
		F(revocation), F(masa_encoding),
#undef F
	};
	struct db_identity *d = &r->identity;

	r->has_identity = true;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		*(const char **)((char *)d + f[i].db) = sr_str(r, (const char *)id + f[i].id);
	d->pem_chain = sr_str(r, id->pem_chain);
	d->trust = sr_str(r, id->trust_path);
	d->passed = se_identity_failures(id) == 0;
	for (int i = 0; i < id->n_checks; i++)
		sr_kv(r, id->checks[i].name, id->checks[i].pass ? "pass" : id->checks[i].detail);
	se_identity_fields(id, record_field, r);
}

void rc_log_anchors(struct run_ctx *rc, const char *trust)
{
	struct se_anchor *a = NULL;
	struct db_anchor *d = NULL;
	struct st_error e = { 0 };
	int n = 0;

	/* every anchor: count them, then list them */
	if (!trust || se_trust_anchors(trust, NULL, 0, &n, &e) < 0 || n == 0)
		return;		/* the chain check says why */
	a = calloc((size_t)n, sizeof(*a));
	d = calloc((size_t)n, sizeof(*d));
	if (!a || !d || se_trust_anchors(trust, a, n, &n, &e) < 0) {
		log_warn("cannot log the anchors of %s: %s", trust, a && d ? e.msg : "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		d[i].sha256 = a[i].sha256;
		d[i].subject = a[i].subject;
		log_info("trust store %s: anchor %s sha256 %s", trust, a[i].subject, a[i].sha256);
	}
	if (rc->db && db_run_anchors(rc->db, rc->run_id, trust, d, n, &e) < 0)
		log_warn("%s", e.msg);
out:
	free(a);
	free(d);
}
