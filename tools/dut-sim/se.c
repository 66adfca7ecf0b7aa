// SPDX-License-Identifier: Apache-2.0
/*
 * The simulated secure element, like a pre-provisioned VaultIC408: a P-256
 * key pair that never leaves it (no command outputs it) and an IDevID
 * certificate chain.  The identity is loaded from files, or made per board
 * from the manufacturer's intermediate CA with tools/simlib/pki.c.  With
 * --state FILE a made identity is kept in FILE.se.key/.se.crt, so the board
 * keeps it across processes like a real one.  Slots 1.. for on-chip
 * enrolment are in se_slots.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "tools/simlib/pki.h"
#include "tools/dut-sim/dutsim.h"

#define PEM_MAX (64 * 1024)

struct se {
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	char *pem;		/* leaf then chain */
	char serial[17];
	struct se_slots *slots;	/* 1..SE_SLOTS-1: on-chip enrolment (se_slots.c) */
};

static void tls_err(const char *what, const char *path, int ret)
{
	char buf[128];

	mbedtls_strerror(ret, buf, sizeof(buf));
	fprintf(stderr, "dut-sim: %s %s: %s\n", what, path ? path : "", buf);
}

/* leaf + chain in one buffer, each ending in a newline */
static char *join(const char *leaf, const char *chain)
{
	size_t a = strlen(leaf), b = chain ? strlen(chain) : 0;
	char *p = malloc(a + b + 2);

	if (!p)
		return NULL;
	memcpy(p, leaf, a);
	if (a && leaf[a - 1] != '\n')
		p[a++] = '\n';
	memcpy(p + a, chain ? chain : "", b);
	p[a + b] = '\0';
	return p;
}

static char *load_pair(struct se *se, const char *key, const char *cert, const char *chain)
{
	char *leaf = NULL, *more = NULL, *all = NULL;
	int ret;

	ret = mbedtls_pk_parse_keyfile(&se->key, key, NULL);
	if (ret != 0) {
		tls_err("cannot load SE key", key, ret);
		return NULL;
	}
	leaf = pki_read_file(cert, PEM_MAX);
	if (!leaf) {
		fprintf(stderr, "dut-sim: cannot read SE certificate %s\n", cert);
		goto out;
	}
	if (chain) {
		more = pki_read_file(chain, PEM_MAX);
		if (!more) {
			fprintf(stderr, "dut-sim: cannot read SE chain %s\n", chain);
			goto out;
		}
	}
	all = join(leaf, more);
out:
	free(leaf);
	free(more);
	return all;
}

/* A fresh key and an IDevID leaf issued by the intermediate CA. */
static int make_identity(const struct se_opts *o, const char *board, const char *key_path,
			 const char *crt_path)
{
	struct pki_key *k = NULL, *ca = NULL;
	char subject[256], not_before[16], *ca_pem = NULL, *pem = NULL;
	time_t now = time(NULL);
	int ret = -1;

	strftime(not_before, sizeof(not_before), "%Y%m%d%H%M%S", gmtime(&now));
	snprintf(subject, sizeof(subject), "CN=%s,O=Station Sim Devices,serialNumber=%s",
		 board, board);
	struct pki_cert_req req = {
		.subject = subject, .not_before = not_before, .not_after = "99991231235959",
		.pathlen = -1, .masa_url = o->masa_url ? o->masa_url : "masa.example.com:9443",
	};
	k = pki_key_generate(NULL);
	ca = pki_key_load(o->ca_key);
	ca_pem = pki_read_file(o->ca_cert, PEM_MAX);
	pem = malloc(PEM_MAX);
	if (!k || !ca || !ca_pem || !pem) {
		fprintf(stderr, "dut-sim: cannot make an SE identity from %s / %s\n",
			o->ca_cert, o->ca_key);
		goto out;
	}
	if (pki_issue(&req, k, ca, ca_pem, pem, PEM_MAX) < 0 ||
	    pki_key_save(k, key_path) < 0 ||
	    pki_write_file(crt_path, pem, strlen(pem), 0644) < 0)
		goto out;
	ret = 0;
out:
	pki_key_free(k);
	pki_key_free(ca);
	free(ca_pem);
	free(pem);
	return ret;
}

static char *generated(struct se *se, const struct se_opts *o, const char *board,
		       const char *state_path)
{
	char key[4096], crt[4096], *all;
	const char *chain = o->ca_chain ? o->ca_chain : o->ca_cert;
	bool keep = state_path != NULL;

	if (keep) {
		snprintf(key, sizeof(key), "%s.se.key", state_path);
		snprintf(crt, sizeof(crt), "%s.se.crt", state_path);
	} else {
		/* the SE's own storage, only for as long as we load it */
		snprintf(key, sizeof(key), "/tmp/dut-sim-se.%ld.key", (long)getpid());
		snprintf(crt, sizeof(crt), "/tmp/dut-sim-se.%ld.crt", (long)getpid());
	}
	if (!keep || access(key, R_OK) || access(crt, R_OK)) {
		if (make_identity(o, board, key, crt) < 0)
			return NULL;
		sim_log("se: made a new identity for %s", board);
	} else {
		sim_log("se: identity kept from %s", crt);
	}
	all = load_pair(se, key, crt, chain);
	if (!keep) {
		unlink(key);
		unlink(crt);
	}
	return all;
}

/* A mismatched pair is allowed on purpose: it is a fault the station must catch. */
static void check_pair(struct se *se)
{
	mbedtls_x509_crt crt;

	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse(&crt, (const uint8_t *)se->pem, strlen(se->pem) + 1) < 0)
		sim_log("se: warning: the certificate does not parse");
	else if (mbedtls_pk_check_pair(&crt.pk, &se->key) != 0)
		sim_log("se: warning: the certificate does not match the key");
	mbedtls_x509_crt_free(&crt);
}

struct se *se_create(const struct se_opts *o, const char *board, const char *state_path)
{
	static const char pers[] = "dut-sim secure element";
	struct se *se = calloc(1, sizeof(*se));
	uint8_t h[32];

	if (!se)
		return NULL;
	mbedtls_pk_init(&se->key);
	mbedtls_entropy_init(&se->entropy);
	mbedtls_ctr_drbg_init(&se->drbg);
	if (mbedtls_ctr_drbg_seed(&se->drbg, mbedtls_entropy_func, &se->entropy,
				  (const uint8_t *)pers, sizeof(pers)) != 0)
		goto fail;
	mbedtls_sha256_ret((const uint8_t *)board, strlen(board), h, 0);
	for (int i = 0; i < 8; i++)
		sprintf(se->serial + 2 * i, "%02x", h[i]);
	if (o->chip)
		snprintf(se->serial, sizeof(se->serial), "%s", o->chip);
	if (o->cert)
		se->pem = load_pair(se, o->key, o->cert, o->chain);
	else
		se->pem = generated(se, o, board, state_path);
	if (!se->pem)
		goto fail;
	check_pair(se);
	se->slots = se_slots_new(state_path);
	if (!se->slots)
		goto fail;
	return se;
fail:
	se_free(se);
	return NULL;
}

void se_free(struct se *se)
{
	if (!se)
		return;
	mbedtls_pk_free(&se->key);
	mbedtls_ctr_drbg_free(&se->drbg);
	mbedtls_entropy_free(&se->entropy);
	free(se->pem);
	se_slots_free(se->slots);
	free(se);
}

struct se_slots *se_get_slots(struct se *se)
{
	return se->slots;
}

const char *se_chip_serial(const struct se *se)
{
	return se->serial;
}

const char *se_cert_pem(const struct se *se)
{
	return se->pem;
}

const char *se_key_type(const struct se *se)
{
	if (mbedtls_pk_get_type(&se->key) != MBEDTLS_PK_ECKEY)
		return "other";
	switch (mbedtls_pk_ec(se->key)->grp.id) {
	case MBEDTLS_ECP_DP_SECP256R1:
		return "p256";
	case MBEDTLS_ECP_DP_SECP384R1:
		return "p384";
	default:
		return "other";
	}
}

/* ECDSA over SHA-256 of msg, DER encoded */
int se_sign(struct se *se, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
	    size_t *sig_len)
{
	/* mbedtls 2.28 takes no output size: give it the largest it may write */
	uint8_t buf[MBEDTLS_PK_SIGNATURE_MAX_SIZE], h[32];
	int ret;

	mbedtls_sha256_ret(msg, len, h, 0);
	ret = mbedtls_pk_sign(&se->key, MBEDTLS_MD_SHA256, h, sizeof(h), buf, sig_len,
			      mbedtls_ctr_drbg_random, &se->drbg);
	if (ret != 0) {
		tls_err("signing failed", NULL, ret);
		return -1;
	}
	if (*sig_len > cap)
		return -1;
	memcpy(sig, buf, *sig_len);
	return 0;
}
