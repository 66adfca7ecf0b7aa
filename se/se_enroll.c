/* SPDX-License-Identifier: Apache-2.0 */
/*
 * On-chip enrolment: a key pair generated inside the SE, a CSR the SE signs,
 * a certificate the CA (the CMS) issues for it, written back to the SE and
 * proven.  Nothing the SE or the CA says is taken on trust: the CSR's own
 * signature is verified, the certificate must chain to the station's trust,
 * carry the CSR's key and the board's serialNumber, and agree with what the
 * CA says it issued, before it is written; then it is read back, compared
 * byte for byte, and the slot must sign a fresh nonce that verifies with it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/sha1.h>
#include <mbedtls/x509_csr.h>

#define LOG_PREFIX "se"
#include "common/hex.h"
#include "common/log.h"
#include "se/se-internal.h"

static int notsup(struct se *se, const char *what, struct st_error *e)
{
	return st_fail(e, ST_ERR_NOTSUP, "the %s SE backend cannot %s: on-chip enrolment needs "
		       "a diagnostic firmware with se keygen/csr/write-cert", se->ops->name, what);
}

static int bad_slot(int slot, struct st_error *e)
{
	return st_fail(e, ST_ERR_ARG, "enrolment slot %d: use 1..%d (slot 0 is the factory "
		       "identity)", slot, SE_SLOTS_MAX - 1);
}

int se_keygen(struct se *se, int slot, struct st_error *e)
{
	if (!se->ops->keygen)
		return notsup(se, "generate a key", e);
	if (slot < 1 || slot >= SE_SLOTS_MAX)
		return bad_slot(slot, e);
	return se->ops->keygen(se, slot, e);
}

int se_csr(struct se *se, int slot, const char *subject, char *pem, size_t cap,
	   struct st_error *e)
{
	if (!se->ops->csr)
		return notsup(se, "make a CSR", e);
	if (slot < 1 || slot >= SE_SLOTS_MAX)
		return bad_slot(slot, e);
	return se->ops->csr(se, slot, subject, pem, cap, e);
}

int se_write_cert(struct se *se, int slot, const char *pem, struct st_error *e)
{
	if (!se->ops->write_cert)
		return notsup(se, "store a certificate", e);
	if (slot < 1 || slot >= SE_SLOTS_MAX)
		return bad_slot(slot, e);
	return se->ops->write_cert(se, slot, pem, e);
}

int se_read_cert(struct se *se, int slot, char *pem, size_t cap, struct st_error *e)
{
	if (!se->ops->read_cert)
		return notsup(se, "read a slot's certificate", e);
	if (slot < 1 || slot >= SE_SLOTS_MAX)
		return bad_slot(slot, e);
	return se->ops->read_cert(se, slot, pem, cap, e);
}

int se_slot_sign(struct se *se, int slot, const uint8_t *msg, size_t len, uint8_t *sig,
		 size_t cap, size_t *sig_len, struct st_error *e)
{
	if (!se->ops->slot_sign)
		return notsup(se, "sign with a slot's key", e);
	if (slot < 1 || slot >= SE_SLOTS_MAX)
		return bad_slot(slot, e);
	return se->ops->slot_sign(se, slot, msg, len, sig, cap, sig_len, e);
}

/* The SubjectPublicKeyInfo DER of pk: its length, *der pointing into buf. */
static int spki(const mbedtls_pk_context *pk, unsigned char *buf, size_t cap,
		unsigned char **der)
{
	int len = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)pk, buf, cap);

	*der = len > 0 ? buf + cap - len : buf;
	return len;
}

static bool same_key(const mbedtls_pk_context *a, const mbedtls_pk_context *b)
{
	unsigned char ba[256], bb[256], *da, *db;
	int la = spki(a, ba, sizeof(ba), &da), lb = spki(b, bb, sizeof(bb), &db);

	return la > 0 && la == lb && !memcmp(da, db, (size_t)la);
}

/* The "csr" check: it parses, its signature verifies with its own key, and
 * that key is EC P-256 (what the SE was asked to generate). */
static bool check_csr(const char *pem, mbedtls_x509_csr *csr, struct se_identity *id)
{
	const mbedtls_md_info_t *md;
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	char m[200], dn[256];
	int ret;

	ret = mbedtls_x509_csr_parse(csr, (const unsigned char *)pem, strlen(pem) + 1);
	if (ret != 0) {
		se_add_check(id, "csr", false, "the SE's CSR does not parse: %s: check the "
			     "diagnostic firmware", se_mbedtls_msg(ret, m, sizeof(m)));
		return false;
	}
	md = mbedtls_md_info_from_type(csr->sig_md);
	ret = md ? mbedtls_md(md, csr->cri.p, csr->cri.len, hash) : -1;
	if (ret == 0)
		ret = mbedtls_pk_verify_ext(csr->sig_pk, csr->sig_opts, &csr->pk, csr->sig_md,
					    hash, mbedtls_md_get_size(md), csr->sig.p,
					    csr->sig.len);
	if (ret != 0) {
		se_add_check(id, "csr", false, "the CSR's signature does not verify with its own "
			     "public key: the SE did not sign it with the key it holds");
		return false;
	}
	if (mbedtls_pk_get_type(&csr->pk) != MBEDTLS_PK_ECKEY ||
	    mbedtls_pk_ec(csr->pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
		se_add_check(id, "csr", false, "the CSR's key is not EC P-256 (%s)",
			     mbedtls_pk_get_name(&csr->pk));
		return false;
	}
	se_dn_str(&csr->subject, dn, sizeof(dn));
	se_add_check(id, "csr", true, "PKCS#10 for '%s', signed with its own EC P-256 key", dn);
	return true;
}

/* "0A:1b" / "0x0a1b" / "000A1B" -> "a1b": serials and thumbprints compared
 * whatever the CA's notation. */
static void norm_hex(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	if (in[0] == '0' && (in[1] == 'x' || in[1] == 'X'))
		in += 2;
	for (; *in && n + 1 < cap; in++)
		if (*in != ':' && *in != ' ' && (n || *in != '0'))
			out[n++] = (char)tolower((unsigned char)*in);
	out[n] = '\0';
}

/* The "ca-record" check: what the CA says it issued is this certificate. */
static void check_ca_record(const mbedtls_x509_crt *leaf, const struct se_enrollment *en,
			    struct se_identity *id)
{
	char a[96], b[96], sha1hex[41];
	unsigned char h[20];

	if (!en->ca_serial[0] && !en->ca_thumbprint[0])
		return;
	norm_hex(en->ca_serial, a, sizeof(a));
	norm_hex(id->cert_serial, b, sizeof(b));
	if (en->ca_serial[0] && strcmp(a, b)) {
		se_add_check(id, "ca-record", false, "the CA says it issued serial %s but the "
			     "certificate's serial is %s", en->ca_serial, id->cert_serial);
		return;
	}
	mbedtls_sha1_ret(leaf->raw.p, leaf->raw.len, h);
	hex_encode(h, sizeof(h), sha1hex, sizeof(sha1hex), false);
	norm_hex(en->ca_thumbprint, a, sizeof(a));
	if (en->ca_thumbprint[0]) {
		norm_hex(strlen(a) <= 40 ? sha1hex : id->fingerprint, b, sizeof(b));
		if (strcmp(a, b)) {
			se_add_check(id, "ca-record", false, "the CA's thumbprint %s is not that of "
				     "the certificate it returned (SHA-1 %s, SHA-256 %s)",
				     en->ca_thumbprint, sha1hex, id->fingerprint);
			return;
		}
	}
	se_add_check(id, "ca-record", true, "the CA's record agrees (serial %s%s%s)",
		     en->ca_serial[0] ? en->ca_serial : "not given",
		     en->ca_thumbprint[0] ? ", thumbprint " : "", en->ca_thumbprint);
}

/* The names that identify the unit, and how the messages call them. */
static const struct {
	const char *oid;
	size_t len;
	const char *name;
} unit_names[] = {
	{ MBEDTLS_OID_AT_CN, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN), "CN" },
	{ MBEDTLS_OID_AT_SERIAL_NUMBER, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_SERIAL_NUMBER),
	  "serialNumber" },
};

/* One name of the unit: asked for (want, NULL: not asked) and what the
 * certificate says.  false, with the failure in why, when they differ. */
static bool name_agrees(const mbedtls_x509_crt *leaf, int k, const mbedtls_asn1_named_data *want,
			char *why, size_t cap)
{
	const mbedtls_x509_name *got = NULL;
	char a[80], b[80];
	int n = 0;

	for (const mbedtls_x509_name *x = &leaf->subject; x; x = x->next)
		if (x->oid.len == unit_names[k].len &&
		    !memcmp(x->oid.p, unit_names[k].oid, x->oid.len) && n++ == 0)
			got = x;
	if (!want && !n)
		return true;
	if (got)
		se_bytes_str(got->val.p, got->val.len, b, sizeof(b));
	if (want)
		se_bytes_str(want->val.p, want->val.len, a, sizeof(a));
	if (!want)
		snprintf(why, cap, "the certificate names %s=%s, which the request did not ask for",
			 unit_names[k].name, b);
	else if (n != 1)
		snprintf(why, cap, "the certificate holds %d %s attributes; the unit is %s=%s", n,
			 unit_names[k].name, unit_names[k].name, a);
	else if (got->val.len != want->val.len || memcmp(got->val.p, want->val.p, want->val.len))
		snprintf(why, cap, "the certificate names %s=%s but the unit is %s=%s",
			 unit_names[k].name, b, unit_names[k].name, a);
	else
		return true;
	return false;
}

/* The "cert-name" check: the names that identify the unit (commonName,
 * serialNumber) are in the issued certificate's subject exactly as the
 * request asked for them, each once.  subject_mismatch: warn on the step
 * never relaxes it (that is about the other attributes, O, OU, ...). */
static void check_name(const mbedtls_x509_crt *leaf, const char *subject, struct se_identity *id)
{
	mbedtls_asn1_named_data *want = NULL;
	char why[300], dn[256];

	if (mbedtls_x509_string_to_names(&want, subject) != 0) {
		se_add_check(id, "cert-name", false, "the requested subject does not parse as a "
			     "name: cannot tell which unit the certificate must name");
		return;
	}
	for (int k = 0; k < (int)(sizeof(unit_names) / sizeof(unit_names[0])); k++) {
		const mbedtls_asn1_named_data *w =
			mbedtls_asn1_find_named_data(want, unit_names[k].oid, unit_names[k].len);

		if (!name_agrees(leaf, k, w, why, sizeof(why))) {
			se_add_check(id, "cert-name", false, "%s: the CA issued it for another unit; "
				     "refuse it", why);
			mbedtls_asn1_free_named_data_list(&want);
			return;
		}
	}
	mbedtls_asn1_free_named_data_list(&want);
	se_dn_str(&leaf->subject, dn, sizeof(dn));
	se_add_check(id, "cert-name", true, "'%s' names the unit as asked", dn);
}

/* pem (a leaf) followed by the issuers, parsed into chain with the
 * extensions se/ checks itself; a chain that does not parse is the "chain"
 * check's failure (ST_ERR_CERT). */
static int parse_chain(const char *pem, const char *issuers, mbedtls_x509_crt *chain,
		       struct se_exts *x, struct se_identity *id, struct st_error *e)
{
	size_t a = strlen(pem), b = issuers ? strlen(issuers) : 0;
	char *text = malloc(a + b + 2);
	struct st_error pe = { 0 };
	int ret;

	if (!text)
		return st_fail(e, ST_ERR_NOMEM, "out of memory checking the certificate");
	memcpy(text, pem, a);
	text[a] = '\n';
	memcpy(text + a + 1, b ? issuers : "", b + 1);
	ret = se_chain_parse_x(chain, (const uint8_t *)text, a + b + 2, id, x, &pe);
	free(text);
	if (ret < 0) {
		se_add_check(id, "chain", false, "the certificate is not a certificate chain: %s",
			     pe.msg);
		return se_verdict(id, e);
	}
	return ST_OK;
}

/* The verdict on a certificate made for the unit: when it names another
 * unit, that is the reason to give (the serialNumber check's advice is for
 * a board's own identity: a wrong scan, another board's SE). */
static int unit_verdict(const struct se_identity *id, struct st_error *e)
{
	const struct se_check *c = se_identity_check(id, "cert-name");
	int n = se_identity_failures(id);

	if (c && !c->pass)
		return st_fail(e, ST_ERR_CERT, "identity check cert-name failed: %s%s", c->detail,
			       n > 1 ? " (and more: see the report)" : "");
	return se_verdict(id, e);
}

/* The issued certificate, before it goes near the SE: every check the
 * identity step makes (but possession: that comes once it is stored), and
 * the CSR's key, the unit's names, the CA's record. */
static int check_cert(const struct se_enroll_req *r, struct se_enrollment *en,
		      mbedtls_x509_csr *csr, mbedtls_x509_crt *chain, struct st_error *e)
{
	struct st_error pe = { 0 };
	mbedtls_x509_crt one;
	struct se_exts *x = calloc(1, sizeof(*x));
	int ret;

	mbedtls_x509_crt_init(&one);
	if (!x) {
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory checking the certificate");
		goto out;
	}
	/* the CA's answer alone must be certificates, or an issuer would pass
	 * for the leaf */
	ret = mbedtls_x509_crt_parse(&one, (const unsigned char *)en->cert_pem,
				     strlen(en->cert_pem) + 1);
	if (ret != 0) {
		se_add_check(&en->id, "chain", false, "the CA's answer is not a certificate "
			     "chain: %s", ret > 0 ? "part of it does not parse" :
			     se_mbedtls_msg(ret, pe.msg, sizeof(pe.msg)));
		ret = se_verdict(&en->id, e);
		goto out;
	}
	ret = parse_chain(en->cert_pem, r->issuers_pem, chain, x, &en->id, e);
	if (ret < 0)
		goto out;
	ret = se_run_checks(NULL, chain, x, r->policy, &en->id, e);
	if (ret < 0)
		goto out;	/* the trust, the CRLs or the status source */
	if (same_key(&chain->pk, &csr->pk))
		se_add_check(&en->id, "cert-key", true, "the certificate carries the CSR's "
			     "public key");
	else
		se_add_check(&en->id, "cert-key", false, "the certificate's public key is not "
			     "the one in the CSR: the CA issued it for another key");
	check_name(chain, r->subject, &en->id);
	check_ca_record(chain, en, &en->id);
	ret = unit_verdict(&en->id, e);
out:
	free(x);
	mbedtls_x509_crt_free(&one);
	return ret;
}

/* Write the leaf to the slot, read it back, compare the DER byte for byte. */
static int store(struct se *se, int slot, const mbedtls_x509_crt *leaf, struct se_identity *id,
		 const char **stage, struct st_error *e)
{
	unsigned char pem[4096];
	mbedtls_x509_crt back;
	char *buf = NULL, m[200];
	size_t olen = 0;
	int ret;

	mbedtls_x509_crt_init(&back);
	*stage = "write";
	ret = mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
				       leaf->raw.p, leaf->raw.len, pem, sizeof(pem), &olen);
	if (ret != 0) {
		ret = st_fail(e, ST_ERR_LIMIT, "the certificate (%zu bytes) is too large for an "
			      "SE slot", leaf->raw.len);
		goto out;
	}
	ret = se_write_cert(se, slot, (const char *)pem, e);
	if (ret == ST_ERR_FAIL) {
		se_add_check(id, "write", false, "%s", e ? e->msg : "the SE refused the certificate");
		ret = ST_ERR_CERT;
		goto out;
	}
	if (ret < 0)
		goto out;
	se_add_check(id, "write", true, "stored in slot %d (%zu bytes DER)", slot, leaf->raw.len);
	*stage = "read-back";
	buf = malloc(SE_CHAIN_MAX);
	if (!buf) {
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory reading the certificate back");
		goto out;
	}
	ret = se_read_cert(se, slot, buf, SE_CHAIN_MAX, e);
	if (ret < 0)
		goto out;
	ret = mbedtls_x509_crt_parse(&back, (const unsigned char *)buf, strlen(buf) + 1);
	if (ret != 0 || back.raw.len != leaf->raw.len ||
	    memcmp(back.raw.p, leaf->raw.p, leaf->raw.len)) {
		se_add_check(id, "read-back", false, "slot %d returned %s than was written",
			     slot, ret ? se_mbedtls_msg(ret, m, sizeof(m)) :
			     "a different certificate");
		ret = st_fail(e, ST_ERR_CERT, "read-back: slot %d does not hold the certificate "
			      "written to it", slot);
		goto out;
	}
	se_add_check(id, "read-back", true, "slot %d returns the same %zu bytes", slot,
		     leaf->raw.len);
	ret = ST_OK;
out:
	free(buf);
	mbedtls_x509_crt_free(&back);
	return ret;
}

/* keygen, CSR, its check, issue: up to a certificate to check. */
static int request(struct se *se, const struct se_enroll_req *r, struct se_enrollment *en,
		   mbedtls_x509_csr *csr, struct st_error *e)
{
	int ret;

	en->stage = "info";
	ret = se->ops->info(se, en->id.chip_serial, sizeof(en->id.chip_serial), e);
	if (ret < 0)
		return ret;
	en->stage = "keygen";
	ret = r->reuse_key ? ST_OK : se_keygen(se, r->slot, e);
	if (ret < 0)
		return ret;
	en->stage = "csr";
	en->csr_pem = malloc(SE_CSR_MAX);
	if (!en->csr_pem)
		return st_fail(e, ST_ERR_NOMEM, "out of memory for the CSR");
	ret = se_csr(se, r->slot, r->subject, en->csr_pem, SE_CSR_MAX, e);
	if (ret < 0)
		return ret;
	en->stage = "csr-check";
	if (!check_csr(en->csr_pem, csr, &en->id))
		return se_verdict(&en->id, e);
	log_info("slot %d: CSR for '%s' verified; asking the CA", r->slot, r->subject);
	en->stage = "issue";
	ret = r->issue(r->issue_ctx, en->csr_pem, en, e);
	if (ret < 0)
		return ret;
	if (!en->cert_pem)
		return st_fail(e, ST_ERR_PROTO, "the CA answered without a certificate");
	return ST_OK;
}

int se_enroll(struct se *se, const struct se_enroll_req *r, struct se_enrollment *en,
	      struct st_error *e)
{
	mbedtls_x509_csr csr;
	mbedtls_x509_crt chain;
	int ret;

	mbedtls_x509_csr_init(&csr);
	mbedtls_x509_crt_init(&chain);
	if (!r->issue || !r->subject)
		return st_fail(e, ST_ERR_ARG, "enrolment: no CA or no subject given");
	ret = request(se, r, en, &csr, e);
	if (ret < 0)
		goto out;
	en->stage = "cert-check";
	ret = check_cert(r, en, &csr, &chain, e);
	if (ret < 0)
		goto out;
	ret = store(se, r->slot, &chain, &en->id, &en->stage, e);
	if (ret < 0)
		goto out;
	en->stage = "pop";
	ret = se_pop(se, r->slot, &chain, &en->id, e);
	if (ret == ST_OK)
		ret = se_verdict(&en->id, e);
	if (ret == ST_OK) {
		en->stage = "done";
		log_info("slot %d enrolled: certificate %s, fingerprint %s", r->slot,
			 en->id.cert_serial, en->id.fingerprint);
	}
out:
	mbedtls_x509_crt_free(&chain);
	mbedtls_x509_csr_free(&csr);
	return ret;
}

int se_enroll_check_kept(struct se *se, const struct se_enroll_req *r, const char *pem,
			 struct se_enrollment *en, struct st_error *e)
{
	mbedtls_x509_crt chain;
	struct se_exts *x = calloc(1, sizeof(*x));
	int ret;

	mbedtls_x509_crt_init(&chain);
	if (!x)
		return st_fail(e, ST_ERR_NOMEM, "out of memory checking the certificate");
	en->stage = "info";
	ret = se->ops->info(se, en->id.chip_serial, sizeof(en->id.chip_serial), e);
	if (ret < 0)
		goto out;
	en->stage = "kept";
	ret = parse_chain(pem, r->issuers_pem, &chain, x, &en->id, e);
	if (ret == ST_OK)
		ret = se_run_checks(NULL, &chain, x, r->policy, &en->id, e);
	if (ret < 0)
		goto out;
	check_name(&chain, r->subject, &en->id);
	ret = se_pop(se, r->slot, &chain, &en->id, e);
	if (ret == ST_OK)
		ret = unit_verdict(&en->id, e);
out:
	free(x);
	mbedtls_x509_crt_free(&chain);
	return ret;
}

void se_enrollment_free(struct se_enrollment *en)
{
	if (!en)
		return;
	free(en->csr_pem);
	free(en->cert_pem);
	en->csr_pem = NULL;
	en->cert_pem = NULL;
	se_identity_free(&en->id);
}
