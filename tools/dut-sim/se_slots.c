// SPDX-License-Identifier: Apache-2.0
/*
 * The simulated SE's key slots for on-chip enrolment, like a VaultIC's key
 * and certificate files.  Slot 0 is the factory identity (se.c) and is
 * read-only; slots 1..SE_SLOTS-1 take a key generated inside the SE (the
 * private key never leaves it: no command outputs it), sign a PKCS#10 CSR
 * with it, and store the certificate a CA issued for it, but only when that
 * certificate's public key is the slot's own.  With --state FILE, a slot's
 * key and certificate persist in FILE.se.slotN.key / .crt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "tools/simlib/pki.h"
#include "tools/dut-sim/dutsim.h"

#define B64_MAX 4096		/* a certificate in transfer, base64 */
#define DER_MAX 3072		/* the largest certificate a slot holds */

struct slot {
	mbedtls_pk_context key;
	bool has_key;
	uint8_t *der;		/* the certificate, or NULL */
	size_t der_len;
};

struct se_slots {
	struct slot slot[SE_SLOTS];
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	const char *state_path;
	/* a certificate arriving over the console (se write-cert N begin/data/end) */
	int xfer_slot;		/* -1: none in progress */
	char b64[B64_MAX + 1];
	size_t b64_len;
};

static void why_tls(char *why, size_t cap, const char *what, int ret)
{
	char buf[120];

	mbedtls_strerror(ret, buf, sizeof(buf));
	snprintf(why, cap, "%s: %s", what, buf);
}

static void slot_path(const struct se_slots *ss, int n, const char *ext, char *out, size_t cap)
{
	snprintf(out, cap, "%s.se.slot%d.%s", ss->state_path, n, ext);
}

static void slot_clear_cert(struct slot *sl)
{
	free(sl->der);
	sl->der = NULL;
	sl->der_len = 0;
}

static int store_cert(struct slot *sl, const uint8_t *der, size_t len)
{
	uint8_t *copy = malloc(len);

	if (!copy)
		return -1;
	memcpy(copy, der, len);
	slot_clear_cert(sl);
	sl->der = copy;
	sl->der_len = len;
	return 0;
}

/* What --state kept of slot n: its key, then its certificate. */
static void slot_load(struct se_slots *ss, int n)
{
	struct slot *sl = &ss->slot[n];
	char path[4096];
	mbedtls_x509_crt crt;

	slot_path(ss, n, "key", path, sizeof(path));
	if (access(path, R_OK) || mbedtls_pk_parse_keyfile(&sl->key, path, NULL) != 0)
		return;
	sl->has_key = true;
	slot_path(ss, n, "crt", path, sizeof(path));
	mbedtls_x509_crt_init(&crt);
	if (!access(path, R_OK) && mbedtls_x509_crt_parse_file(&crt, path) == 0)
		store_cert(sl, crt.raw.p, crt.raw.len);
	mbedtls_x509_crt_free(&crt);
	sim_log("se: slot %d kept from %s.se.slot%d.*%s", n, ss->state_path, n,
		sl->der ? " (key and certificate)" : " (key)");
}

struct se_slots *se_slots_new(const char *state_path)
{
	static const char pers[] = "dut-sim se slots";
	struct se_slots *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	mbedtls_entropy_init(&ss->entropy);
	mbedtls_ctr_drbg_init(&ss->drbg);
	for (int i = 0; i < SE_SLOTS; i++)
		mbedtls_pk_init(&ss->slot[i].key);
	ss->state_path = state_path;
	ss->xfer_slot = -1;
	if (mbedtls_ctr_drbg_seed(&ss->drbg, mbedtls_entropy_func, &ss->entropy,
				  (const uint8_t *)pers, sizeof(pers)) != 0) {
		se_slots_free(ss);
		return NULL;
	}
	for (int i = 1; state_path && i < SE_SLOTS; i++)
		slot_load(ss, i);
	return ss;
}

void se_slots_free(struct se_slots *ss)
{
	if (!ss)
		return;
	for (int i = 0; i < SE_SLOTS; i++) {
		mbedtls_pk_free(&ss->slot[i].key);
		slot_clear_cert(&ss->slot[i]);
	}
	mbedtls_ctr_drbg_free(&ss->drbg);
	mbedtls_entropy_free(&ss->entropy);
	free(ss);
}

/* A writable slot: 1..SE_SLOTS-1. */
static struct slot *user_slot(struct se_slots *ss, int n, char *why, size_t cap)
{
	if (n == 0) {
		snprintf(why, cap, "slot 0 holds the factory identity and is read-only");
		return NULL;
	}
	if (n < 0 || n >= SE_SLOTS) {
		snprintf(why, cap, "no slot %d (slots 0..%d)", n, SE_SLOTS - 1);
		return NULL;
	}
	return &ss->slot[n];
}

static struct slot *keyed_slot(struct se_slots *ss, int n, char *why, size_t cap)
{
	struct slot *sl = user_slot(ss, n, why, cap);

	if (sl && !sl->has_key) {
		snprintf(why, cap, "slot %d has no key: se keygen %d first", n, n);
		return NULL;
	}
	return sl;
}

static void persist(struct se_slots *ss, int n, bool key)
{
	struct slot *sl = &ss->slot[n];
	unsigned char pem[2048];
	char path[4096];
	size_t olen = 0;

	if (!ss->state_path)
		return;
	if (key) {
		slot_path(ss, n, "crt", path, sizeof(path));
		unlink(path);
		slot_path(ss, n, "key", path, sizeof(path));
		if (mbedtls_pk_write_key_pem(&sl->key, pem, sizeof(pem)) == 0)
			pki_write_file(path, pem, strlen((char *)pem), 0600);
		mbedtls_platform_zeroize(pem, sizeof(pem));
		return;
	}
	slot_path(ss, n, "crt", path, sizeof(path));
	if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
				     sl->der, sl->der_len, pem, sizeof(pem), &olen) == 0)
		pki_write_file(path, pem, strlen((char *)pem), 0644);
}

int se_slots_keygen(struct se_slots *ss, int n, char *spki_hash, size_t hcap, char *why,
		    size_t cap)
{
	struct slot *sl = user_slot(ss, n, why, cap);
	unsigned char der[256], h[32];
	int ret, len;

	if (!sl)
		return -1;
	mbedtls_pk_free(&sl->key);
	mbedtls_pk_init(&sl->key);
	slot_clear_cert(sl);
	sl->has_key = false;
	ret = mbedtls_pk_setup(&sl->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (ret == 0)
		ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(sl->key),
					  mbedtls_ctr_drbg_random, &ss->drbg);
	if (ret != 0) {
		why_tls(why, cap, "key generation failed", ret);
		return -1;
	}
	sl->has_key = true;
	persist(ss, n, true);
	len = mbedtls_pk_write_pubkey_der(&sl->key, der, sizeof(der));
	mbedtls_sha256_ret(der + sizeof(der) - len, (size_t)len, h, 0);
	for (int i = 0; i < 32 && hcap >= 65; i++)
		sprintf(spki_hash + 2 * i, "%02x", h[i]);
	sim_log("se: slot %d: new P-256 key", n);
	return 0;
}

int se_slots_csr(struct se_slots *ss, int n, const char *subject, char *pem, size_t pcap,
		 char *why, size_t cap)
{
	struct slot *sl = keyed_slot(ss, n, why, cap);
	mbedtls_x509write_csr req;
	int ret;

	if (!sl)
		return -1;
	mbedtls_x509write_csr_init(&req);
	mbedtls_x509write_csr_set_md_alg(&req, MBEDTLS_MD_SHA256);
	mbedtls_x509write_csr_set_key(&req, &sl->key);
	ret = mbedtls_x509write_csr_set_subject_name(&req, subject);
	if (ret != 0) {
		snprintf(why, cap, "bad subject '%.96s' (want e.g. CN=X,serialNumber=X)", subject);
		goto out;
	}
	ret = mbedtls_x509write_csr_pem(&req, (unsigned char *)pem, pcap,
					mbedtls_ctr_drbg_random, &ss->drbg);
	if (ret != 0)
		why_tls(why, cap, "cannot make the CSR", ret);
out:
	mbedtls_x509write_csr_free(&req);
	return ret ? -1 : 0;
}

/* The certificate is checked like the part would: it must parse and carry
 * the public key of the slot's own private key. */
static int install(struct se_slots *ss, int n, const uint8_t *der, size_t len, char *why,
		   size_t cap)
{
	struct slot *sl = &ss->slot[n];
	mbedtls_x509_crt crt;
	int ret;

	mbedtls_x509_crt_init(&crt);
	ret = mbedtls_x509_crt_parse_der(&crt, der, len);
	if (ret != 0) {
		why_tls(why, cap, "not a DER certificate", ret);
		goto out;
	}
	if (mbedtls_pk_check_pair(&crt.pk, &sl->key) != 0) {
		snprintf(why, cap, "certificate does not match the key in slot %d", n);
		ret = -1;
		goto out;
	}
	ret = store_cert(sl, der, len);
	if (ret == 0) {
		persist(ss, n, false);
		sim_log("se: slot %d: certificate stored (%zu bytes)", n, len);
	}
out:
	mbedtls_x509_crt_free(&crt);
	return ret ? -1 : 0;
}

int se_slots_write(struct se_slots *ss, int n, const char *op, const char *b64,
		   size_t *written, char *why, size_t cap)
{
	uint8_t der[DER_MAX];
	size_t len = 0, bl = strlen(b64);
	int ret;

	*written = 0;
	if (!keyed_slot(ss, n, why, cap))
		return -1;
	if (!strcmp(op, "begin")) {
		ss->xfer_slot = n;
		ss->b64_len = 0;
		return 0;
	}
	if (ss->xfer_slot != n) {
		snprintf(why, cap, "no certificate transfer to slot %d: se write-cert %d begin first",
			 n, n);
		return -1;
	}
	if (!strcmp(op, "data")) {
		if (!bl || bl % 4 || strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					   "0123456789+/=") != bl) {
			snprintf(why, cap, "data wants base64 in groups of 4 characters");
			return -1;
		}
		if (ss->b64_len + bl > B64_MAX) {
			ss->xfer_slot = -1;
			snprintf(why, cap, "certificate longer than %d base64 characters", B64_MAX);
			return -1;
		}
		memcpy(ss->b64 + ss->b64_len, b64, bl);
		ss->b64_len += bl;
		return 0;
	}
	if (strcmp(op, "end")) {
		snprintf(why, cap, "usage: se write-cert <slot> begin | data <base64> | end");
		return -1;
	}
	ss->xfer_slot = -1;
	ss->b64[ss->b64_len] = '\0';
	ret = mbedtls_base64_decode(der, sizeof(der), &len, (const uint8_t *)ss->b64, ss->b64_len);
	if (ret != 0 || !len) {
		snprintf(why, cap, "the certificate is not valid base64 (or longer than %d bytes)",
			 DER_MAX);
		return -1;
	}
	if (install(ss, n, der, len, why, cap) < 0)
		return -1;
	*written = len;
	return 0;
}

int se_slots_cert_pem(struct se_slots *ss, int n, char *pem, size_t pcap, char *why, size_t cap)
{
	struct slot *sl = keyed_slot(ss, n, why, cap);
	size_t olen = 0;

	if (!sl)
		return -1;
	if (!sl->der) {
		snprintf(why, cap, "slot %d holds no certificate", n);
		return -1;
	}
	if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
				     sl->der, sl->der_len, (unsigned char *)pem, pcap, &olen) != 0) {
		snprintf(why, cap, "certificate too large to print");
		return -1;
	}
	return 0;
}

int se_slots_sign(struct se_slots *ss, int n, const uint8_t *msg, size_t len, uint8_t *sig,
		  size_t cap, size_t *sig_len, char *why, size_t wcap)
{
	struct slot *sl = keyed_slot(ss, n, why, wcap);
	uint8_t buf[MBEDTLS_PK_SIGNATURE_MAX_SIZE], h[32];
	int ret;

	if (!sl)
		return -1;
	mbedtls_sha256_ret(msg, len, h, 0);
	ret = mbedtls_pk_sign(&sl->key, MBEDTLS_MD_SHA256, h, sizeof(h), buf, sig_len,
			      mbedtls_ctr_drbg_random, &ss->drbg);
	if (ret != 0 || *sig_len > cap) {
		why_tls(why, wcap, "signing failed", ret);
		return -1;
	}
	memcpy(sig, buf, *sig_len);
	return 0;
}

void se_slots_describe(struct se_slots *ss, int n, char *out, size_t cap)
{
	struct slot *sl = &ss->slot[n];
	mbedtls_x509_crt crt;
	char dn[160] = "";

	if (!sl->has_key) {
		snprintf(out, cap, "slot %d: empty", n);
		return;
	}
	mbedtls_x509_crt_init(&crt);
	if (sl->der && mbedtls_x509_crt_parse_der(&crt, sl->der, sl->der_len) == 0 &&
	    mbedtls_x509_dn_gets(dn, sizeof(dn), &crt.subject) < 0)
		dn[0] = '\0';
	mbedtls_x509_crt_free(&crt);
	snprintf(out, cap, "slot %d: key p256, %s%s", n, sl->der ? "certificate " : "no certificate",
		 dn);
}

/* The fault se-rekey: the slot's key changes after its CSR was made, so the
 * certificate issued for that CSR no longer belongs to the SE. */
void se_slots_rekey(struct se_slots *ss, int n)
{
	char h[65], why[128];

	if (n > 0 && n < SE_SLOTS && ss->slot[n].has_key &&
	    se_slots_keygen(ss, n, h, sizeof(h), why, sizeof(why)) == 0)
		sim_log("fault se-rekey: slot %d has a new key", n);
}
