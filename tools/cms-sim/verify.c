// SPDX-License-Identifier: Apache-2.0
/*
 * The CMS's own check of a presented identity, independent of the station's:
 * the leaf plus its chain must verify to the manufacturer root (--trust).
 * A forged or foreign certificate is refused here even if a station let it
 * through.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/sha256.h>

#include "tools/cms-sim/cms-sim.h"

/* verify_info gives one line per failed check: join them for one message. */
static void one_line(char *s)
{
	size_t n = strlen(s);
	char *p;

	while (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	for (p = s; *p; p++)
		if (*p == '\n')
			*p = ';';
}

static int parse_pem(mbedtls_x509_crt *crt, const char *pem, const char *what,
		     char *msg, size_t cap)
{
	char err[128];
	int ret;

	ret = mbedtls_x509_crt_parse(crt, (const unsigned char *)pem, strlen(pem) + 1);
	if (ret < 0) {
		mbedtls_strerror(ret, err, sizeof(err));
		snprintf(msg, cap, "%s is not a PEM certificate: %s", what, err);
		return -1;
	}
	if (ret > 0) {
		snprintf(msg, cap, "%s: %d of its certificates could not be parsed", what, ret);
		return -1;
	}
	return 0;
}

int verify_chain(mbedtls_x509_crt *trust, mbedtls_x509_crt *crt, struct leaf_facts *f,
		 char *msg, size_t cap)
{
	char info[512];
	uint32_t flags = 0;

	if (mbedtls_x509_crt_verify(crt, trust, NULL, NULL, &flags, NULL, NULL) != 0) {
		mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
		one_line(info);
		snprintf(msg, cap, "certificate chain does not verify to the manufacturer root: %s",
			 info[0] ? info : "unknown reason");
		return -1;
	}
	leaf_facts_of(crt, f);
	return 0;
}

void leaf_facts_of(const mbedtls_x509_crt *crt, struct leaf_facts *f)
{
	unsigned char sha[32];
	const unsigned char *sp;
	size_t sl;

	memset(f, 0, sizeof(*f));
	/* Canonical hex: the DER integer's leading zero octet dropped. */
	sp = crt->serial.p;
	sl = crt->serial.len;
	while (sl > 1 && sp[0] == 0) {
		sp++;
		sl--;
	}
	hex_of(sp, sl < sizeof(f->cert_serial) / 2 ? sl : sizeof(f->cert_serial) / 2 - 1,
	       f->cert_serial, 0);
	mbedtls_sha256_ret(crt->raw.p, crt->raw.len, sha, 0);
	hex_of(sha, sizeof(sha), f->fingerprint, 0);
}

int verify_identity(mbedtls_x509_crt *trust, const char *leaf_pem, const char *chain_pem,
		    struct leaf_facts *f, char *msg, size_t cap)
{
	mbedtls_x509_crt crt;
	int ret;

	mbedtls_x509_crt_init(&crt);
	/* The leaf first, then its chain: the order verify walks upwards. */
	ret = parse_pem(&crt, leaf_pem, "certificate", msg, cap);
	if (ret == 0 && crt.next) {
		snprintf(msg, cap, "certificate holds more than one certificate; send the rest as chain");
		ret = -1;
	}
	if (ret == 0 && chain_pem && chain_pem[0])
		ret = parse_pem(&crt, chain_pem, "chain", msg, cap);
	if (ret == 0)
		ret = verify_chain(trust, &crt, f, msg, cap);
	mbedtls_x509_crt_free(&crt);
	return ret;
}
