// SPDX-License-Identifier: Apache-2.0
/*
 * Whether a unit's certificate is one to keep: within its validity, and
 * issued by the CMS's CA (its CA certificates: EST /cacerts), with the days
 * left before its notAfter for a renewal window (enroll: renew_within_days).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/x509_crt.h>

#include "cms/cms-internal.h"

static long days_to(const mbedtls_x509_time *t)
{
	struct tm tm = { 0 };

	tm.tm_year = t->year - 1900;
	tm.tm_mon = t->mon - 1;
	tm.tm_mday = t->day;
	tm.tm_hour = t->hour;
	tm.tm_min = t->min;
	tm.tm_sec = t->sec;
	return (long)((timegm(&tm) - time(NULL)) / 86400);
}

int cms_cert_check(const char *cert_pem, const char *ca_pem, long *days_left,
		   struct st_error *e)
{
	mbedtls_x509_crt crt, ca;
	uint32_t flags = 0;
	char why[256];
	int ret = ST_OK;

	*days_left = 0;
	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_crt_init(&ca);
	if (!cert_pem || mbedtls_x509_crt_parse(&crt, (const unsigned char *)cert_pem,
						strlen(cert_pem) + 1) != 0) {
		ret = st_fail(e, ST_ERR_PARSE, "the unit's certificate does not parse");
		goto out;
	}
	*days_left = days_to(&crt.valid_to);
	if (mbedtls_x509_time_is_past(&crt.valid_to)) {
		ret = st_fail(e, ST_ERR_CERT, "the unit's certificate expired (%04d-%02d-%02d)",
			      crt.valid_to.year, crt.valid_to.mon, crt.valid_to.day);
		goto out;
	}
	if (!ca_pem)
		goto out;
	if (mbedtls_x509_crt_parse(&ca, (const unsigned char *)ca_pem, strlen(ca_pem) + 1) != 0) {
		ret = st_fail(e, ST_ERR_PARSE, "the CMS's CA certificates do not parse");
		goto out;
	}
	if (mbedtls_x509_crt_verify(&crt, &ca, NULL, NULL, &flags, NULL, NULL) != 0) {
		mbedtls_x509_crt_verify_info(why, sizeof(why), "", flags);
		why[strcspn(why, "\n")] = '\0';
		ret = st_fail(e, ST_ERR_CERT, "the unit's certificate was not issued by the CMS's "
			      "CA (its /cacerts): %s", why);
	}
out:
	mbedtls_x509_crt_free(&ca);
	mbedtls_x509_crt_free(&crt);
	return ret;
}
