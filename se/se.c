/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SE interface's common code: closing, small helpers shared by the
 * backends and the checks, and the identity report.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/error.h>

#define LOG_PREFIX "se"
#include "common/log.h"
#include "se/se-internal.h"
#include "common/hex.h"
#include "common/text.h"

void se_close(struct se *se)
{
	if (!se)
		return;
	if (se->ops && se->ops->close)
		se->ops->close(se);
	free(se);
}


const char *se_mbedtls_msg(int ret, char *buf, size_t cap)
{
	char txt[160];

	mbedtls_strerror(ret, txt, sizeof(txt));
	snprintf(buf, cap, "%s (-0x%04x)", txt, (unsigned)-ret);
	return buf;
}

int se_drbg_seed(mbedtls_entropy_context *ent, mbedtls_ctr_drbg_context *drbg,
		 const char *pers, struct st_error *e)
{
	char msg[200];
	int ret;

	ret = mbedtls_ctr_drbg_seed(drbg, mbedtls_entropy_func, ent,
				    (const unsigned char *)pers, strlen(pers));
	if (ret != 0)
		return st_fail(e, ST_ERR, "cannot seed the random generator from the system's "
			       "entropy: %s; check /dev/urandom", se_mbedtls_msg(ret, msg, sizeof(msg)));
	return ST_OK;
}

void se_time_str(const mbedtls_x509_time *t, char *out, size_t cap)
{
	snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02d", t->year % 10000, t->mon % 100,
		 t->day % 100, t->hour % 100, t->min % 100, t->sec % 100);
}


void se_add_check(struct se_identity *id, const char *name, bool pass, const char *fmt, ...)
{
	struct se_check *c;
	va_list ap;

	if (id->n_checks >= SE_MAX_CHECKS) {
		log_err("too many checks, '%s' dropped", name);
		return;
	}
	c = &id->checks[id->n_checks++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->pass = pass;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

const struct se_check *se_identity_check(const struct se_identity *id, const char *name)
{
	for (int i = 0; i < id->n_checks; i++)
		if (!strcmp(id->checks[i].name, name))
			return &id->checks[i];
	return NULL;
}

int se_identity_failures(const struct se_identity *id)
{
	int n = 0;

	for (int i = 0; i < id->n_checks; i++)
		n += !id->checks[i].pass;
	return n;
}

void se_identity_free(struct se_identity *id)
{
	if (!id)
		return;
	free(id->pem_chain);
	id->pem_chain = NULL;
}

void se_identity_fields(const struct se_identity *id, se_field_fn fn, void *ctx)
{
	const struct {
		const char *key, *val;
	} f[] = {
		{ "chip-serial", id->chip_serial }, { "subject", id->subject },
		{ "issuer", id->issuer }, { "serial", id->cert_serial },
		{ "not-before", id->not_before }, { "not-after", id->not_after },
		{ "key", id->key_type }, { "sha256", id->fingerprint },
		{ "spki-sha256", id->spki_sha256 }, { "subject-serial", id->subject_serial },
		{ "masa-url", id->masa_url }, { "masa-encoding", id->masa_encoding },
		{ "trust", id->trust_path }, { "anchor-subject", id->anchor_subject },
		{ "anchor-sha256", id->anchor_sha256 }, { "revocation-source", id->revocation },
		{ "dpp", id->dpp_uri }, { "nonce", id->nonce }, { "signature", id->signature },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].val[0])
			fn(ctx, f[i].key, f[i].val);
}

struct print_ctx {
	FILE *f;
	const struct se_identity *id;
};

/* A field or a check's detail may hold a certificate's text: shown escaped. */
static void print_field(void *ctx, const char *key, const char *val)
{
	const struct print_ctx *c = ctx;
	char *shown;

	if (!strcmp(key, "not-after"))	/* with not-before, as "validity" */
		return;
	shown = st_text_show_dup(val);
	if (!strcmp(key, "not-before"))
		fprintf(c->f, "%-12s %s UTC .. %s UTC\n", "validity", shown ? shown : "",
			c->id->not_after);
	else
		fprintf(c->f, "%-12s %s\n", key, shown ? shown : "(out of memory)");
	free(shown);
}

void se_identity_print(FILE *f, const struct se_identity *id)
{
	struct print_ctx c = { f, id };
	int failed = se_identity_failures(id);

	se_identity_fields(id, print_field, &c);
	for (int i = 0; i < id->n_checks; i++) {
		char *shown = st_text_show_dup(id->checks[i].detail);

		fprintf(f, "%s %-18s %s\n", id->checks[i].pass ? "PASS" : "FAIL",
			id->checks[i].name, shown ? shown : "(out of memory)");
		free(shown);
	}
	if (failed)
		fprintf(f, "result: FAIL (%d of %d checks failed)\n", failed, id->n_checks);
	else
		fprintf(f, "result: PASS (%d checks)\n", id->n_checks);
}
