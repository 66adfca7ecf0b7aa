/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "chain" check: parse the certificate chain, load the manufacturer
 * roots, verify with mbedTLS, and turn mbedTLS's flag bits into sentences
 * an operator can act on.  mbedTLS reports a missing issuer, a bad
 * signature and an issuer that may not sign all as "not trusted", so for
 * that flag we look for the issuer ourselves and say which it was.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/oid.h>
#include <mbedtls/pem.h>

#define LOG_PREFIX "se"
#include "common/log.h"
#include "se/se-internal.h"

#define MAX_DEPTH 10

/* What we accept: SHA-2 signatures, EC on the NIST curves, RSA >= 2048. */
static const mbedtls_x509_crt_profile se_profile = {
	.allowed_mds = MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256) |
		       MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA384) |
		       MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA512),
	.allowed_pks = 0xFFFFFFF,
	.allowed_curves = MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP256R1) |
			  MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP384R1) |
			  MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP521R1),
	.rsa_min_bitlen = 2048,
};

static void append(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 3 >= cap)
		return;
	if (n) {
		memcpy(buf + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

/* mbedTLS hands us every extension it does not handle: keep a record (the
 * value of those se/ enforces itself), accept it, and let the checks decide.
 * A critical one is failed by name in "critical-ext". */
static int ext_cb(void *ctx, mbedtls_x509_crt const *crt, mbedtls_x509_buf const *oid,
		  int critical, const unsigned char *p, const unsigned char *end)
{
	struct se_exts *x = ctx;
	struct se_ext *r;
	size_t len = (size_t)(end - p);

	if (!x)
		return critical ? -1 : 0;
	/* Only what a check needs: the critical ones, and name constraints
	 * (enforced even when not critical).  A trust store full of others
	 * must not fill the table. */
	if (!critical && !(oid->len == MBEDTLS_OID_SIZE(MBEDTLS_OID_NAME_CONSTRAINTS) &&
			   !memcmp(oid->p, MBEDTLS_OID_NAME_CONSTRAINTS, oid->len)))
		return 0;
	if (x->n == SE_EXT_MAX) {
		x->overflow = true;
		return critical ? -1 : 0;	/* cannot record it: refuse a critical one */
	}
	r = &x->e[x->n++];
	memset(r, 0, sizeof(*r));
	r->crt = crt;
	r->critical = critical != 0;
	if (mbedtls_oid_get_numeric_string(r->oid, sizeof(r->oid), oid) < 0)
		snprintf(r->oid, sizeof(r->oid), "(an OID too long to print)");
	if (len <= sizeof(r->val)) {
		memcpy(r->val, p, len);
		r->val_len = len;
	} else {
		r->truncated = true;
	}
	return 0;
}

/* One DER certificate appended to crt; <0 mbedTLS error. */
static int parse_der_x(mbedtls_x509_crt *crt, const unsigned char *der, size_t len,
		       struct se_exts *x)
{
	return mbedtls_x509_crt_parse_der_with_ext_cb(crt, der, len, 1, ext_cb, x);
}

/* Like mbedtls_x509_crt_parse: PEM text (NUL included in len) or one DER
 * certificate.  Returns <0 when nothing parsed, else how many failed. */
static int parse_buf_x(mbedtls_x509_crt *crt, const unsigned char *buf, size_t len,
		       struct se_exts *x)
{
	int ok = 0, failed = 0, first_err = MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT;

	if (!(len && buf[len - 1] == '\0' && strstr((const char *)buf, "-----BEGIN CERTIFICATE-----")))
		return parse_der_x(crt, buf, len, x);
	while (len > 1) {
		mbedtls_pem_context pem;
		size_t use_len = 0;
		int ret;

		mbedtls_pem_init(&pem);
		ret = mbedtls_pem_read_buffer(&pem, "-----BEGIN CERTIFICATE-----",
					      "-----END CERTIFICATE-----", buf, NULL, 0, &use_len);
		if (ret == MBEDTLS_ERR_PEM_NO_HEADER_FOOTER_PRESENT) {
			mbedtls_pem_free(&pem);
			break;
		}
		if (ret == 0)
			ret = parse_der_x(crt, pem.buf, pem.buflen, x);
		mbedtls_pem_free(&pem);
		if (ret == 0) {
			ok++;
		} else {
			if (!failed)
				first_err = ret;
			failed++;
			if (use_len == 0)	/* a PEM that does not even decode: stop */
				break;
		}
		buf += use_len;
		len -= use_len;
	}
	return ok ? failed : first_err;
}

int se_chain_parse_x(mbedtls_x509_crt *crt, const uint8_t *buf, size_t len,
		     struct se_identity *id, struct se_exts *x, struct st_error *e)
{
	size_t pem_cap, used = 0;
	char msg[200];
	int ret;

	/* mbedTLS wants PEM text NUL-terminated, with the NUL in the length. */
	if (!(len && buf[len - 1] == '\0') && memmem(buf, len, "-----BEGIN", 10))
		return st_fail(e, ST_ERR_ARG, "internal: PEM chain not NUL-terminated");
	ret = parse_buf_x(crt, buf, len, x);
	if (ret < 0)
		return st_fail(e, ST_ERR_PARSE, "the certificate does not parse: %s",
			       se_mbedtls_msg(ret, msg, sizeof(msg)));
	if (ret > 0)
		return st_fail(e, ST_ERR_PARSE, "%d of the certificates in the chain do not "
			       "parse: the file or the SE holds a damaged certificate", ret);
	if (crt->raw.p == NULL)
		return st_fail(e, ST_ERR_PARSE, "no certificate found");
	if (!id)
		return ST_OK;

	/* Canonical PEM of each certificate, for the log. */
	pem_cap = 0;
	for (const mbedtls_x509_crt *c = crt; c; c = c->next)
		pem_cap += c->raw.len * 4 / 3 + c->raw.len / 48 + 80;
	free(id->pem_chain);
	id->pem_chain = malloc(pem_cap + 1);
	if (!id->pem_chain)
		return st_fail(e, ST_ERR_NOMEM, "out of memory for the PEM chain");
	id->pem_chain[0] = '\0';
	for (const mbedtls_x509_crt *c = crt; c; c = c->next) {
		size_t olen = 0;

		ret = mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
					       "-----END CERTIFICATE-----\n", c->raw.p, c->raw.len,
					       (unsigned char *)id->pem_chain + used,
					       pem_cap + 1 - used, &olen);
		if (ret != 0)
			return st_fail(e, ST_ERR, "cannot write the chain as PEM: %s",
				       se_mbedtls_msg(ret, msg, sizeof(msg)));
		used += olen - 1;	/* olen counts the NUL */
	}
	return ST_OK;
}

int se_chain_parse(mbedtls_x509_crt *crt, const uint8_t *buf, size_t len,
		   struct se_identity *id, struct st_error *e)
{
	return se_chain_parse_x(crt, buf, len, id, NULL, e);
}

/* A trust file (bounded), parsed as PEM or DER; as mbedtls_x509_crt_parse_file. */
#define TRUST_FILE_MAX (256 * 1024)
static int parse_file_x(mbedtls_x509_crt *crt, const char *path, struct se_exts *x)
{
	unsigned char *buf;
	size_t n;
	FILE *f;
	int ret;

	f = fopen(path, "rb");
	if (!f)
		return MBEDTLS_ERR_X509_FILE_IO_ERROR;
	buf = malloc(TRUST_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return MBEDTLS_ERR_X509_ALLOC_FAILED;
	}
	n = fread(buf, 1, TRUST_FILE_MAX + 1, f);
	fclose(f);
	if (n > TRUST_FILE_MAX) {
		free(buf);
		return MBEDTLS_ERR_X509_FILE_IO_ERROR;
	}
	buf[n] = '\0';
	ret = parse_buf_x(crt, buf, memmem(buf, n, "-----BEGIN", 10) ? n + 1 : n, x);
	free(buf);
	return ret;
}

static bool has_cert_suffix(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && (!strcmp(name + n - 4, ".crt") || !strcmp(name + n - 4, ".pem")));
}

static int trust_load_dir(mbedtls_x509_crt *trust, const char *path, struct se_exts *x,
			  struct st_error *e)
{
	struct dirent *de;
	char file[4096], msg[200];
	int n = 0, ret;
	DIR *d;

	d = opendir(path);
	if (!d)
		return st_fail(e, ST_ERR_IO, "cannot open the trust directory %s: %s",
			       path, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !has_cert_suffix(de->d_name))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		ret = parse_file_x(trust, file, x);
		if (ret != 0) {
			log_warn("trust store: %s skipped: %s", file,
				 ret < 0 ? se_mbedtls_msg(ret, msg, sizeof(msg)) :
				 "a certificate in it does not parse");
			if (ret < 0)
				continue;
		}
		n++;
	}
	closedir(d);
	if (n == 0)
		return st_fail(e, ST_ERR_ARG, "the trust directory %s holds no certificate "
			       "(*.crt or *.pem): put the manufacturer's root CA there", path);
	return ST_OK;
}

int se_trust_load(mbedtls_x509_crt *trust, const char *path, struct st_error *e)
{
	return se_trust_load_x(trust, path, NULL, e);
}

int se_trust_load_x(mbedtls_x509_crt *trust, const char *path, struct se_exts *x,
		    struct st_error *e)
{
	struct stat st;
	char msg[200];
	int ret;

	if (stat(path, &st) < 0)
		return st_fail(e, ST_ERR_IO, "cannot read the trust store %s: %s", path,
			       strerror(errno));
	if (S_ISDIR(st.st_mode))
		return trust_load_dir(trust, path, x, e);
	ret = parse_file_x(trust, path, x);
	if (ret < 0)
		return st_fail(e, ST_ERR_PARSE, "the trust store %s does not parse: %s; it must "
			       "hold the manufacturer's root CA as PEM or DER", path,
			       se_mbedtls_msg(ret, msg, sizeof(msg)));
	if (ret > 0)
		log_warn("trust store %s: %d certificates do not parse and are ignored", path, ret);
	return ST_OK;
}

/* One certificate of the verified path as mbedTLS saw it. */
struct vlink {
	const mbedtls_x509_crt *crt;
	uint32_t flags;
};

struct vctx {
	struct vlink link[MAX_DEPTH];
	int n;
};

static int vrfy_cb(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct vctx *v = p;

	if (depth >= 0 && depth < MAX_DEPTH) {
		v->link[depth].crt = crt;
		v->link[depth].flags = *flags;
		if (depth + 1 > v->n)
			v->n = depth + 1;
	}
	return 0;	/* keep going: we want every flag, not the first */
}

static bool same_name(const mbedtls_x509_buf *a, const mbedtls_x509_buf *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

int se_check_sig(const mbedtls_x509_crt *child, const mbedtls_x509_crt *parent)
{
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(child->sig_md);
	int ret;

	if (!md)
		return MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG;
	ret = mbedtls_md(md, child->tbs.p, child->tbs.len, hash);
	if (ret != 0)
		return ret;
	return mbedtls_pk_verify_ext(child->sig_pk, child->sig_opts,
				     (mbedtls_pk_context *)&parent->pk, child->sig_md, hash,
				     mbedtls_md_get_size(md), child->sig.p, child->sig.len);
}

bool se_self_signed(const mbedtls_x509_crt *c)
{
	return same_name(&c->issuer_raw, &c->subject_raw) && se_check_sig(c, c) == 0;
}

bool se_pathlen_ok(const mbedtls_x509_crt *parent, int depth, int *allowed)
{
	/* mbedTLS stores pathLenConstraint + 1; 0 means none. */
	if (!parent->ca_istrue || parent->max_pathlen <= 0)
		return true;
	*allowed = parent->max_pathlen - 1;
	return depth <= *allowed;
}

/* The issuer of c: by name, in the presented chain first, then the trust store. */
static const mbedtls_x509_crt *find_issuer(const mbedtls_x509_crt *c,
					   const mbedtls_x509_crt *chain,
					   const mbedtls_x509_crt *trust, bool *from_trust)
{
	for (const mbedtls_x509_crt *p = trust; p && p->raw.p; p = p->next)
		if (same_name(&c->issuer_raw, &p->subject_raw) && se_check_sig(c, p) == 0) {
			*from_trust = true;
			return p;
		}
	for (const mbedtls_x509_crt *p = chain; p && p->raw.p; p = p->next)
		if (p != c && same_name(&c->issuer_raw, &p->subject_raw)) {
			*from_trust = false;
			return p;
		}
	return NULL;
}

void se_path_build(const mbedtls_x509_crt *chain, const mbedtls_x509_crt *trust,
		   struct se_path *p)
{
	const mbedtls_x509_crt *c = chain;

	memset(p, 0, sizeof(*p));
	if (!c || !c->raw.p)
		return;
	p->c[p->n++] = c;
	while (p->n < SE_PATH_MAX && !p->from_trust[p->n - 1] && !same_name(&c->issuer_raw,
									   &c->subject_raw)) {
		bool ft = false;
		const mbedtls_x509_crt *up = find_issuer(c, chain->next, trust, &ft);

		if (!up)
			break;
		p->from_trust[p->n] = ft;
		p->c[p->n++] = up;
		c = up;
	}
}

/* Why the issuer of c (which mbedTLS could not chain to a root) was refused. */
static void explain_untrusted(const mbedtls_x509_crt *c, int depth,
			      const mbedtls_x509_crt *trust, const char *label, char *out,
			      size_t cap)
{
	int allowed = 0;

	const mbedtls_x509_crt *lists[2] = { trust, c->next };
	char dn[200], cdn[200], msg[200];
	int ret;

	se_dn_str(&c->issuer, dn, sizeof(dn));
	se_dn_str(&c->subject, cdn, sizeof(cdn));
	if (same_name(&c->issuer_raw, &c->subject_raw) && se_check_sig(c, c) == 0) {
		append(out, cap, "the root '%s' is not in the trust store %s: add the "
		       "manufacturer's root there if this supplier is approved", dn, label);
		return;
	}
	for (int l = 0; l < 2; l++) {
		for (const mbedtls_x509_crt *p = lists[l]; p && p->raw.p; p = p->next) {
			if (!same_name(&c->issuer_raw, &p->subject_raw))
				continue;
			if (!se_pathlen_ok(p, depth, &allowed)) {
				append(out, cap, "path length exceeded: the issuer '%s' allows "
				       "%d CA certificate%s below it (pathLenConstraint) but the "
				       "chain puts %d there", dn, allowed, allowed == 1 ? "" : "s",
				       depth);
				return;
			}
			if (!p->ca_istrue) {
				append(out, cap, "the issuer '%s' is not a CA (basicConstraints "
				       "CA:FALSE) and may not sign certificates", dn);
				return;
			}
			if ((p->ext_types & MBEDTLS_X509_EXT_KEY_USAGE) &&
			    !(p->key_usage & MBEDTLS_X509_KU_KEY_CERT_SIGN)) {
				append(out, cap, "wrong key usage: the issuer '%s' lacks "
				       "keyCertSign and may not sign certificates", dn);
				return;
			}
			ret = se_check_sig(c, p);
			if (ret != 0) {
				append(out, cap, "bad signature: '%s' does not verify with the key "
				       "of the issuer '%s'%s (%s): the certificate was altered or "
				       "issued by another key", cdn, dn,
				       l == 0 ? " in the trust store" : "",
				       se_mbedtls_msg(ret, msg, sizeof(msg)));
				return;
			}
		}
	}
	append(out, cap, "issuer '%s' is not in the trust store %s: the chain does not lead "
	       "to an approved manufacturer root", dn, label);
}

static void explain(const struct vlink *v, int depth, const mbedtls_x509_crt *trust,
		    const char *label, char *out, size_t cap)
{
	const char *who = depth == 0 ? "the certificate" : "the issuer";
	uint32_t f = v->flags;
	char dn[200], when[24], rest[200];

	se_dn_str(&v->crt->subject, dn, sizeof(dn));
	if (f & MBEDTLS_X509_BADCERT_EXPIRED) {
		se_time_str(&v->crt->valid_to, when, sizeof(when));
		append(out, cap, "%s '%s' expired on %s UTC%s", who, dn, when,
		       depth ? ": ask the manufacturer for its current CA certificate" : "");
	}
	if (f & MBEDTLS_X509_BADCERT_FUTURE) {
		se_time_str(&v->crt->valid_from, when, sizeof(when));
		append(out, cap, "%s '%s' is not valid before %s UTC: check the station "
		       "clock (date -u)", who, dn, when);
	}
	if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		explain_untrusted(v->crt, depth, trust, label, out, cap);
	if (f & MBEDTLS_X509_BADCERT_BAD_MD)
		append(out, cap, "%s '%s' is signed with a hash the station refuses "
		       "(SHA-256 or stronger needed)", who, dn);
	if (f & (MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY))
		append(out, cap, "%s '%s' has a key type or size the station refuses "
		       "(EC P-256/384/521 or RSA >= 2048)", who, dn);
	if (f & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE))
		append(out, cap, "wrong key usage in %s '%s'", who, dn);
	if (f & MBEDTLS_X509_BADCERT_REVOKED)
		append(out, cap, "%s '%s' is revoked (its issuer's CRL lists it)", who, dn);
	if (f & (MBEDTLS_X509_BADCRL_EXPIRED | MBEDTLS_X509_BADCRL_FUTURE |
		 MBEDTLS_X509_BADCRL_NOT_TRUSTED | MBEDTLS_X509_BADCRL_BAD_MD |
		 MBEDTLS_X509_BADCRL_BAD_PK | MBEDTLS_X509_BADCRL_BAD_KEY))
		append(out, cap, "the CRL for %s '%s' cannot be used (see revocation)", who, dn);
	f &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE |
			 MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_BAD_MD |
			 MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY |
			 MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
			 MBEDTLS_X509_BADCERT_REVOKED | MBEDTLS_X509_BADCRL_EXPIRED |
			 MBEDTLS_X509_BADCRL_FUTURE | MBEDTLS_X509_BADCRL_NOT_TRUSTED |
			 MBEDTLS_X509_BADCRL_BAD_MD | MBEDTLS_X509_BADCRL_BAD_PK |
			 MBEDTLS_X509_BADCRL_BAD_KEY);
	if (f && mbedtls_x509_crt_verify_info(rest, sizeof(rest), "", f) > 0) {
		rest[strcspn(rest, "\n")] = '\0';
		append(out, cap, "%s '%s': %s", who, dn, rest);
	}
}

const mbedtls_x509_crt *se_check_chain(mbedtls_x509_crt *crt, mbedtls_x509_crt *trust,
				       mbedtls_x509_crl *crl, const char *trust_label,
				       struct se_identity *id)
{
	char out[sizeof(id->checks[0].detail)] = "", top[200], msg[200];
	struct vctx v = { .n = 0 };
	const mbedtls_x509_crt *anchor;
	uint32_t flags = 0;
	int ret, len = 0;

	if (!trust) {
		se_add_check(id, "chain", false, "not verified: no trust store configured; give "
			     "the manufacturer's root CA (--trust FILE|DIR or station.yaml's "
			     "trust:)");
		return NULL;
	}
	for (const mbedtls_x509_crt *c = crt; c; c = c->next)
		len++;
	ret = mbedtls_x509_crt_verify_with_profile(crt, trust, crl, &se_profile, NULL, &flags,
						   vrfy_cb, &v);
	if (ret == 0 && v.n > 0) {
		anchor = v.link[v.n - 1].crt;
		se_dn_str(&anchor->subject, top, sizeof(top));
		se_add_check(id, "chain", true, "%d certificate%s up to the %s '%s' in %s",
			     len, len > 1 ? "s" : "", se_self_signed(anchor) ? "root" : "intermediate",
			     top, trust_label);
		return anchor;
	}
	if (ret != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		se_add_check(id, "chain", false, "verification could not run: %s",
			     se_mbedtls_msg(ret, msg, sizeof(msg)));
		return NULL;
	}
	/* Nearest problem first: the leaf's, then its issuers'. */
	for (int d = 0; d < v.n; d++)
		if (v.link[d].crt && v.link[d].flags)
			explain(&v.link[d], d, trust, trust_label, out, sizeof(out));
	if (!out[0])
		mbedtls_x509_crt_verify_info(out, sizeof(out), "", flags);
	se_add_check(id, "chain", false, "%s", out);
	return NULL;
}
