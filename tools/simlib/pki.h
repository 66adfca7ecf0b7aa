/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated manufacturer PKI, for the simulators only (tools never link
 * the station's code).  mbedTLS 2.28.  All outputs are PEM files.
 *
 *   root CA (P-256, CA:TRUE)  ->  intermediate CA (CA:TRUE, pathlen 0)
 *                              ->  IDevID leaves (CA:FALSE, digitalSignature,
 *                                  subject serialNumber, MASA URL ext
 *                                  1.3.6.1.5.5.7.1.32, notAfter 99991231235959Z)
 *   a separate CMS TLS CA      ->  cms-sim server cert (SAN localhost, 127.0.0.1)
 */
#ifndef ST_TOOLS_PKI_H
#define ST_TOOLS_PKI_H

#include <stddef.h>
#include <stdint.h>

struct pki_key; /* wraps mbedtls_pk_context */

/* Generate a P-256 key. Deterministic when seed != NULL (tests), else random. */
struct pki_key *pki_key_generate(const char *seed);
struct pki_key *pki_key_load(const char *pem_path);

enum pki_curve { PKI_P256 = 0, PKI_P384 };
/* As pki_key_generate, on another curve (test identities with a wrong key type). */
struct pki_key *pki_key_generate_curve(enum pki_curve curve, const char *seed);
int pki_key_save(const struct pki_key *k, const char *pem_path);
void pki_key_free(struct pki_key *k);

/* A raw extension: OID (DER contents), critical flag, extnValue contents. */
struct pki_ext {
	const unsigned char *oid;
	size_t oid_len;
	int critical;
	const unsigned char *val;
	size_t val_len;
};

struct pki_cert_req {
	const char *subject;	/* "CN=...,O=...,serialNumber=..." (mbedTLS name syntax) */
	const char *not_before;	/* "YYYYMMDDhhmmss" */
	const char *not_after;	/* "99991231235959" allowed */
	int is_ca;
	int pathlen;		/* -1: none */
	const char *masa_url;	/* NULL: no MASA URL extension */
	const char *san_dns;	/* NULL: none (TLS server certs) */
	const char *san_ip;	/* dotted quad or NULL */
	uint64_t serial;	/* 0: random 64-bit */
	/* test identities that depart from the rules (tools/mkpki) */
	int masa_utf8;		/* the MASA URL as a UTF8String, not IA5String */
	const char *extra_serial; /* a second subject serialNumber attribute */
	int serial_utf8;	/* the subject serialNumber as a UTF8String */
	const struct pki_ext *exts; /* more extensions, as given */
	int n_exts;
};

/* Issue a certificate for subject_key, signed by issuer_key / issuer_cert_pem
 * (issuer_cert_pem NULL: self-signed).  Writes PEM to out (NUL-terminated). */
int pki_issue(const struct pki_cert_req *r, const struct pki_key *subject_key,
	      const struct pki_key *issuer_key, const char *issuer_cert_pem,
	      char *out, size_t cap);

/* Read a whole text file (bounded); caller frees. NULL on error. */
char *pki_read_file(const char *path, size_t max);

/* Write a file atomically (temp file + rename) with the given mode. 0 or -1. */
int pki_write_file(const char *path, const void *data, size_t len, int mode);

#endif
