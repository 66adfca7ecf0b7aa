/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Revocation from CRLs (RFC 5280 section 5): a directory (or file) of CRLs
 * given in station.yaml's identity: {crl: DIR}.  mbedTLS checks the serial
 * numbers against a CRL whose issuer is the parent; it says nothing when
 * there is no CRL at all, so the "revocation" check asks for one from every
 * issuer in the path, signed by it and current (nextUpdate not passed).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/md.h>

#define LOG_PREFIX "se"
#include "common/log.h"
#include "se/se-internal.h"

static bool crl_suffix(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && (!strcmp(name + n - 4, ".crl") || !strcmp(name + n - 4, ".pem"));
}

int se_crl_load(mbedtls_x509_crl *crl, const char *path, struct st_error *e)
{
	char file[4096], msg[200];
	struct dirent *de;
	struct stat st;
	int ret, n = 0;
	DIR *d;

	if (stat(path, &st) < 0)
		return st_fail(e, ST_ERR_IO, "cannot read the CRLs %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		ret = mbedtls_x509_crl_parse_file(crl, path);
		if (ret != 0)
			return st_fail(e, ST_ERR_PARSE, "the CRL file %s does not parse: %s", path,
				       se_mbedtls_msg(ret, msg, sizeof(msg)));
		return ST_OK;
	}
	d = opendir(path);
	if (!d)
		return st_fail(e, ST_ERR_IO, "cannot open the CRL directory %s: %s", path,
			       strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !crl_suffix(de->d_name))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		ret = mbedtls_x509_crl_parse_file(crl, file);
		if (ret != 0) {
			closedir(d);
			return st_fail(e, ST_ERR_PARSE, "the CRL %s does not parse: %s", file,
				       se_mbedtls_msg(ret, msg, sizeof(msg)));
		}
		n++;
	}
	closedir(d);
	if (n == 0)
		return st_fail(e, ST_ERR_ARG, "the CRL directory %s holds no CRL (*.crl or *.pem): "
			       "put the manufacturer's current CRLs there", path);
	return ST_OK;
}

static int time_cmp(const mbedtls_x509_time *a, const mbedtls_x509_time *b)
{
	const int av[] = { a->year, a->mon, a->day, a->hour, a->min, a->sec };
	const int bv[] = { b->year, b->mon, b->day, b->hour, b->min, b->sec };

	for (int i = 0; i < 6; i++)
		if (av[i] != bv[i])
			return av[i] < bv[i] ? -1 : 1;
	return 0;
}

static bool crl_signed_by(const mbedtls_x509_crl *crl, const mbedtls_x509_crt *ca)
{
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(crl->sig_md);

	if (!md || mbedtls_md(md, crl->tbs.p, crl->tbs.len, hash) != 0)
		return false;
	return mbedtls_pk_verify_ext(crl->sig_pk, crl->sig_opts, (mbedtls_pk_context *)&ca->pk,
				     crl->sig_md, hash, mbedtls_md_get_size(md), crl->sig.p,
				     crl->sig.len) == 0;
}

void se_check_revocation(const struct se_path *path, const mbedtls_x509_crl *crl,
			 const char *crl_path, const char *online, struct se_identity *id)
{
	char dn[200], idn[200], when[24], next[24] = "";
	int n = 0;

	if (!crl) {
		snprintf(id->revocation, sizeof(id->revocation), "none");
		if (online)
			se_add_check(id, "revocation", true, "no CRLs configured: the status "
				     "answer of %s is the revocation source (cms-status)", online);
		else
			se_add_check(id, "revocation", true, "not checked: no CRLs configured "
				     "(station.yaml identity: {crl: DIR})");
		return;
	}
	snprintf(id->revocation, sizeof(id->revocation), "crl:%s", crl_path);
	for (int i = 0; i + 1 < path->n; i++) {
		const mbedtls_x509_crt *c = path->c[i], *ca = path->c[i + 1];
		const mbedtls_x509_crl *found = NULL;

		se_dn_str(&c->subject, dn, sizeof(dn));
		se_dn_str(&ca->subject, idn, sizeof(idn));
		for (const mbedtls_x509_crl *l = crl; l && l->raw.p; l = l->next)
			if (l->issuer_raw.len == ca->subject_raw.len &&
			    !memcmp(l->issuer_raw.p, ca->subject_raw.p, l->issuer_raw.len) &&
			    crl_signed_by(l, ca) &&
			    (!found || time_cmp(&l->this_update, &found->this_update) > 0))
				found = l;	/* the newest */
		if (!found) {
			se_add_check(id, "revocation", false, "no CRL signed by '%s' in %s: "
				     "revocation of '%s' cannot be checked; put the issuer's current "
				     "CRL there", idn, crl_path, dn);
			return;
		}
		if (found->next_update.year && mbedtls_x509_time_is_past(&found->next_update)) {
			se_time_str(&found->next_update, when, sizeof(when));
			se_add_check(id, "revocation", false, "the CRL of '%s' is out of date "
				     "(nextUpdate %s UTC): fetch the current one into %s", idn, when,
				     crl_path);
			return;
		}
		for (const mbedtls_x509_crl_entry *r = &found->entry; r && r->raw.p; r = r->next)
			if (r->serial.len == c->serial.len &&
			    !memcmp(r->serial.p, c->serial.p, c->serial.len)) {
				se_time_str(&r->revocation_date, when, sizeof(when));
				se_add_check(id, "revocation", false, "'%s' was revoked on %s UTC "
					     "(the CRL of '%s'): refuse the part", dn, when, idn);
				return;
			}
		if (i == 0 && found->next_update.year)
			se_time_str(&found->next_update, next, sizeof(next));
		n++;
	}
	se_add_check(id, "revocation", true, "not revoked: %d CRL%s checked%s%s%s", n,
		     n == 1 ? "" : "s", next[0] ? " (the leaf's issuer's: nextUpdate " : "", next,
		     next[0] ? " UTC)" : "");
}
