// SPDX-License-Identifier: Apache-2.0
/*
 * --fault switches that make the CMS issue a bad certificate, each a way a
 * real CMS (a misconfigured template, a mix-up of two units) or someone
 * between it and the station could get an enrolment wrong, so that the
 * station's checks of an enrolled certificate can be shown to refuse it
 * (tests/e2e/t_enroll_badcert.sh).  They apply to every issue, INeS v2 and
 * EST alike, and are ours: no INeS document describes such answers.
 *   rogue-ca       signed by a fresh key, not the CA's (the CA's name kept as
 *                  the issuer): the signature does not verify
 *   rename-serial  the subject's serialNumber is another unit's (its last
 *                  character moved on by one: SIM000301 -> SIM000302)
 *   expired        valid from two days ago until yesterday
 *   other-key      certifies a fresh key, not the CSR's
 *   revoke-issued  recorded as revoked (keyCompromise) as soon as issued
 *   serial-hex     the certificate object's serial_number in decimal digits,
 *                  not the hex of the certificate's serial (INeS's notation)
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/oid.h>

#include "tools/cms-sim/cms-sim.h"

static const struct {
	const char *name;
	size_t off;
} switches[] = {
#define S(n, m) { n, offsetof(struct faults, m) }
	S("rogue-ca", rogue_ca), S("rename-serial", rename_serial), S("expired", expired),
	S("other-key", other_key), S("revoke-issued", revoke_issued), S("serial-hex", serial_hex),
#undef S
};

bool bad_fault(struct faults *f, const char *name)
{
	for (size_t i = 0; i < sizeof(switches) / sizeof(switches[0]); i++)
		if (!strcmp(name, switches[i].name)) {
			*(int *)((char *)f + switches[i].off) = 1;
			return true;
		}
	return false;
}

static int fresh_key(mbedtls_pk_context *pk, mbedtls_ctr_drbg_context *drbg)
{
	mbedtls_pk_init(pk);
	if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0)
		return -1;
	return mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk),
				   mbedtls_ctr_drbg_random, drbg) == 0 ? 0 : -1;
}

int bad_issue_prepare(struct sim *s, mbedtls_asn1_named_data *subject, struct bad_issue *b,
		      char *msg, size_t cap)
{
	const struct faults *f = &s->faults;
	mbedtls_asn1_named_data *sn;

	memset(b, 0, sizeof(*b));
	b->ca = s->ca;		/* shallow: only read, never freed */
	mbedtls_pk_init(&b->rogue);
	mbedtls_pk_init(&b->other);
	if (f->rename_serial) {
		sn = mbedtls_asn1_find_named_data(subject, MBEDTLS_OID_AT_SERIAL_NUMBER,
						  MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_SERIAL_NUMBER));
		if (sn && sn->val.len)	/* 0-9, A-Z, a-z wrap within their kind */
			sn->val.p[sn->val.len - 1] = (unsigned char)(
				sn->val.p[sn->val.len - 1] == '9' ? '0' :
				sn->val.p[sn->val.len - 1] == 'Z' ? 'A' :
				sn->val.p[sn->val.len - 1] == 'z' ? 'a' : sn->val.p[sn->val.len - 1] + 1);
	}
	if ((f->rogue_ca && fresh_key(&b->rogue, s->drbg) < 0) ||
	    (f->other_key && fresh_key(&b->other, s->drbg) < 0)) {
		snprintf(msg, cap, "cannot make the key of --fault rogue-ca/other-key");
		return -1;
	}
	if (f->rogue_ca)
		b->ca.key = b->rogue;
	b->expired = f->expired;
	b->verify = !f->rogue_ca && !f->expired;
	return 0;
}

mbedtls_pk_context *bad_issue_key(struct bad_issue *b, mbedtls_pk_context *csr_key)
{
	return mbedtls_pk_get_type(&b->other) != MBEDTLS_PK_NONE ? &b->other : csr_key;
}

void bad_issue_free(struct bad_issue *b)
{
	mbedtls_pk_free(&b->rogue);
	mbedtls_pk_free(&b->other);
}

void bad_serial_number(const struct faults *f, const mbedtls_x509_crt *crt, char *out,
		       size_t cap)
{
	mbedtls_mpi n;
	size_t olen;

	if (!f->serial_hex)
		return;
	mbedtls_mpi_init(&n);
	if (mbedtls_mpi_read_binary(&n, crt->serial.p, crt->serial.len) != 0 ||
	    mbedtls_mpi_write_string(&n, 10, out, cap, &olen) != 0)
		snprintf(out, cap, "0");
	mbedtls_mpi_free(&n);
}
