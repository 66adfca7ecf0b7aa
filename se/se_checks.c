/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the identity says about itself: the leaf's descriptive fields for the
 * log, the IEEE 802.1AR / RFC 8995 checks on it, and the Wi-Fi Easy Connect
 * (DPP) bootstrapping URI derived from its public key.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/base64.h>
#include <mbedtls/oid.h>

#define LOG_PREFIX "se"
#include "common/hex.h"
#include "common/log.h"
#include "se/se-internal.h"

/* id-pe-masa-url, RFC 8995 section 2.3.2: 1.3.6.1.5.5.7.1.32 */
#define OID_MASA_URL MBEDTLS_OID_PKIX "\x01\x20"

/* IEEE 802.1AR: an IDevID "has no well-defined expiration date". */
static bool is_no_expiry(const mbedtls_x509_time *t)
{
	return t->year == 9999 && t->mon == 12 && t->day == 31 && t->hour == 23 &&
	       t->min == 59 && t->sec == 59;
}

static bool printable(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

/*
 * mbedTLS 2.28 skips extensions it does not know, so walk the raw
 * Extensions (crt->v3_ext points at the SEQUENCE OF Extension) for one OID.
 * Returns ST_OK with the extnValue's contents, ST_ERR_NOTFOUND, or
 * ST_ERR_PARSE on malformed DER.
 */
static int find_ext(const mbedtls_x509_crt *c, const char *oid, size_t oid_len,
		    unsigned char **val, size_t *val_len)
{
	unsigned char *p = c->v3_ext.p, *end, *ext_end;
	size_t len;
	int crit, ret;

	if (!p || c->v3_ext.len == 0)
		return ST_ERR_NOTFOUND;
	end = p + c->v3_ext.len;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return ST_ERR_PARSE;
	end = p + len;
	while (p < end) {
		bool match;

		if (mbedtls_asn1_get_tag(&p, end, &len,
					 MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
			return ST_ERR_PARSE;
		ext_end = p + len;
		if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OID))
			return ST_ERR_PARSE;
		match = len == oid_len && memcmp(p, oid, oid_len) == 0;
		p += len;
		ret = mbedtls_asn1_get_bool(&p, ext_end, &crit);
		if (ret != 0 && ret != MBEDTLS_ERR_ASN1_UNEXPECTED_TAG)
			return ST_ERR_PARSE;
		if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING))
			return ST_ERR_PARSE;
		if (match) {
			*val = p;
			*val_len = len;
			return ST_OK;
		}
		p = ext_end;
	}
	return ST_ERR_NOTFOUND;
}

/* How many attributes of this type the subject holds; *first: the first. */
static int count_attr(const mbedtls_x509_name *dn, const char *oid, size_t oid_len,
		      const mbedtls_x509_name **first)
{
	int n = 0;

	*first = NULL;
	for (; dn; dn = dn->next)
		if (dn->oid.p && dn->oid.len == oid_len && !memcmp(dn->oid.p, oid, oid_len)) {
			if (!n)
				*first = dn;
			n++;
		}
	return n;
}

static void check_serial_number(const mbedtls_x509_crt *leaf, const struct se_policy *pol,
				struct se_identity *id)
{
	const mbedtls_x509_name *n;
	int count = count_attr(&leaf->subject, MBEDTLS_OID_AT_SERIAL_NUMBER,
			       MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_SERIAL_NUMBER), &n);

	if (!n) {
		se_add_check(id, "serialNumber", false, "the subject has no serialNumber "
			     "(2.5.4.5): an 802.1AR IDevID must name the device; refuse the part "
			     "and tell the supplier");
		return;
	}
	if (count > 1) {
		se_add_check(id, "serialNumber", false, "the subject has %d serialNumber "
			     "attributes: an 802.1AR IDevID names the device exactly once, so the "
			     "certificate does not say which device it is; refuse the part", count);
		return;
	}
	if (n->val.len == 0 || n->val.len >= sizeof(id->subject_serial) ||
	    !printable(n->val.p, n->val.len)) {
		se_add_check(id, "serialNumber", false, "the subject serialNumber is empty, "
			     "too long or not printable");
		return;
	}
	/* The claim is kept for the log even when the encoding is refused. */
	memcpy(id->subject_serial, n->val.p, n->val.len);
	id->subject_serial[n->val.len] = '\0';
	if (pol && pol->expect_serial && strcmp(pol->expect_serial, id->subject_serial)) {
		se_add_check(id, "serialNumber", false, "the certificate names '%s' but this "
			     "board is '%s': the SE belongs to another board, or the wrong serial "
			     "was scanned", id->subject_serial, pol->expect_serial);
		return;
	}
	if (n->val.tag != MBEDTLS_ASN1_PRINTABLE_STRING) {
		se_add_check(id, "serialNumber", false, "%s is encoded as %s; X.520 and RFC 5280 "
			     "say PrintableString: refuse the part and tell the supplier",
			     id->subject_serial, n->val.tag == MBEDTLS_ASN1_UTF8_STRING ?
			     "a UTF8String" : "another string type");
		return;
	}
	se_add_check(id, "serialNumber", true, "%s%s", id->subject_serial,
		     pol && pol->expect_serial ? " (matches the board)" : "");
}

/* Exactly one commonName, when the policy wants one. */
static void check_cn(const mbedtls_x509_crt *leaf, const struct se_policy *pol,
		     struct se_identity *id)
{
	const mbedtls_x509_name *n;
	char cn[128];
	int count;

	if (!pol || !pol->require_cn)
		return;
	count = count_attr(&leaf->subject, MBEDTLS_OID_AT_CN, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN),
			   &n);
	if (count == 1)
		se_add_check(id, "commonName", true, "%s",
			     se_bytes_str(n->val.p, n->val.len, cn, sizeof(cn)));
	else
		se_add_check(id, "commonName", false, "the subject has %d commonName attributes; "
			     "the policy wants exactly one", count);
}

static void check_masa(const mbedtls_x509_crt *leaf, const struct se_policy *pol,
		       struct se_identity *id)
{
	unsigned char *v, *end;
	size_t vlen, len;
	int ret, tag;

	ret = find_ext(leaf, OID_MASA_URL, sizeof(OID_MASA_URL) - 1, &v, &vlen);
	if (ret == ST_ERR_NOTFOUND) {
		se_add_check(id, "masa-url", !(pol && pol->require_masa), "absent "
			     "(1.3.6.1.5.5.7.1.32)%s", pol && pol->require_masa ?
			     ": BRSKI onboarding needs the MASA URL; ask the supplier for "
			     "identities that carry it" : ", not required");
		return;
	}
	if (ret < 0) {
		se_add_check(id, "masa-url", false, "the certificate's extensions are malformed DER");
		return;
	}
	/* MASAURLSyntax ::= IA5String (RFC 8995 section 2.3.2).  The RFC's own
	 * example IDevID (Appendix C) encodes it as a UTF8String: that is
	 * reported and logged, and refused when the MASA URL is required. */
	end = v + vlen;
	tag = v < end ? *v : 0;
	snprintf(id->masa_encoding, sizeof(id->masa_encoding), "%s",
		 tag == MBEDTLS_ASN1_IA5_STRING ? "IA5String" :
		 tag == MBEDTLS_ASN1_UTF8_STRING ? "UTF8String" : "other");
	if ((tag != MBEDTLS_ASN1_IA5_STRING && tag != MBEDTLS_ASN1_UTF8_STRING) ||
	    mbedtls_asn1_get_tag(&v, end, &len, tag) || v + len != end ||
	    len == 0 || len >= sizeof(id->masa_url) || !printable(v, len)) {
		se_add_check(id, "masa-url", false, "the MASA URL extension is not a printable "
			     "IA5String of at most %zu characters", sizeof(id->masa_url) - 1);
		return;
	}
	memcpy(id->masa_url, v, len);
	id->masa_url[len] = '\0';
	if (tag == MBEDTLS_ASN1_UTF8_STRING && pol && pol->require_masa)
		se_add_check(id, "masa-url", false, "%s is encoded as a UTF8String; RFC 8995 "
			     "section 2.3.2 says IA5String, and the MASA URL is required: ask the "
			     "supplier for conforming identities", id->masa_url);
	else
		se_add_check(id, "masa-url", true, "%s%s", id->masa_url,
			     tag == MBEDTLS_ASN1_UTF8_STRING ?
			     " (UTF8String; RFC 8995 says IA5String)" : "");
}

static void check_not_after(const mbedtls_x509_crt *leaf, struct se_identity *id)
{
	if (is_no_expiry(&leaf->valid_to))
		se_add_check(id, "not-after", true, "99991231235959Z (no well-defined expiration, "
			     "IEEE 802.1AR)");
	else if (mbedtls_x509_time_is_past(&leaf->valid_to))
		se_add_check(id, "not-after", false, "the certificate expired on %s UTC: the "
			     "identity can no longer be used", id->not_after);
	else
		se_add_check(id, "not-after", true, "%s UTC", id->not_after);
}

static void key_type_str(const mbedtls_pk_context *pk, char *out, size_t cap)
{
	const mbedtls_ecp_curve_info *ci;
	mbedtls_ecp_group_id g;

	if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECKEY)) {
		snprintf(out, cap, "%s-%zu", mbedtls_pk_get_name(pk), mbedtls_pk_get_bitlen(pk));
		return;
	}
	g = mbedtls_pk_ec(*pk)->grp.id;
	if (g == MBEDTLS_ECP_DP_SECP256R1 || g == MBEDTLS_ECP_DP_SECP384R1 ||
	    g == MBEDTLS_ECP_DP_SECP521R1) {
		snprintf(out, cap, "EC P-%zu", mbedtls_pk_get_bitlen(pk));
		return;
	}
	ci = mbedtls_ecp_curve_info_from_grp_id(g);
	snprintf(out, cap, "EC %s", ci ? ci->name : "(unknown curve)");
}

unsigned se_key_type_parse(const char *name)
{
	static const struct {
		const char *name;
		unsigned bit;
	} t[] = { { "p256", SE_KEY_P256 }, { "p384", SE_KEY_P384 }, { "p521", SE_KEY_P521 } };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(name, t[i].name))
			return t[i].bit;
	return 0;
}

static unsigned key_bit(const mbedtls_pk_context *pk)
{
	if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECKEY))
		return 0;
	switch (mbedtls_pk_ec(*pk)->grp.id) {
	case MBEDTLS_ECP_DP_SECP256R1: return SE_KEY_P256;
	case MBEDTLS_ECP_DP_SECP384R1: return SE_KEY_P384;
	case MBEDTLS_ECP_DP_SECP521R1: return SE_KEY_P521;
	default: return 0;
	}
}

/* "P-256 only", "P-256 and P-384" */
static void allowed_str(unsigned allow, char *out, size_t cap)
{
	static const char *const names[] = { "P-256", "P-384", "P-521" };
	int n = 0, total = 0;
	size_t len = 0;

	for (int i = 0; i < 3; i++)
		total += (allow >> i) & 1;
	out[0] = '\0';
	for (int i = 0; i < 3; i++) {
		if (!(allow & (1u << i)))
			continue;
		n++;
		len += (size_t)snprintf(out + len, cap - len, "%s%s",
					n == 1 ? "" : n == total ? " and " : ", ", names[i]);
	}
	if (total == 1)
		snprintf(out + len, cap - len, " only");
}

static void check_key(const mbedtls_x509_crt *leaf, const struct se_policy *pol,
		      struct se_identity *id)
{
	unsigned allow = pol && pol->key_types ? pol->key_types : SE_KEY_DEFAULT;
	char a[64];

	allowed_str(allow, a, sizeof(a));
	if (key_bit(&leaf->pk) & allow)
		se_add_check(id, "key-type", true, "%s (the policy allows %s)", id->key_type, a);
	else
		se_add_check(id, "key-type", false, "the key is %s; the policy allows %s "
			     "(station.yaml identity: {key_types: [...]})", id->key_type, a);
	if (!leaf->ca_istrue)
		se_add_check(id, "basic-constraints", true, "%s",
			     leaf->ext_types & MBEDTLS_X509_EXT_BASIC_CONSTRAINTS ?
			     "CA:FALSE" : "absent (end entity)");
	else
		se_add_check(id, "basic-constraints", false, "CA:TRUE: a device identity must be "
			     "an end-entity certificate (CA:FALSE); the supplier delivered a CA "
			     "certificate");
	if (!(leaf->ext_types & MBEDTLS_X509_EXT_KEY_USAGE))
		se_add_check(id, "key-usage", true, "absent (any usage)");
	else if (leaf->key_usage & MBEDTLS_X509_KU_DIGITAL_SIGNATURE)
		se_add_check(id, "key-usage", true, "digitalSignature");
	else
		se_add_check(id, "key-usage", false, "wrong key usage: digitalSignature is not "
			     "allowed (key usage 0x%02x), so the key may not sign for the device",
			     leaf->key_usage);
}

/* Hex of the serial's magnitude: DER's sign-padding 00 bytes dropped. */
static void serial_hex(const mbedtls_x509_buf *s, char *out, size_t cap)
{
	const unsigned char *p = s->p;
	size_t len = s->len;

	while (len > 1 && p[0] == 0) {
		p++;
		len--;
	}
	if (hex_encode(p, len, out, cap, true) < 0)
		snprintf(out, cap, "(too long)");
}

static void fill_fields(const mbedtls_x509_crt *leaf, struct se_identity *id)
{
	unsigned char der[1024];
	int len;

	serial_hex(&leaf->serial, id->cert_serial, sizeof(id->cert_serial));
	se_dn_str(&leaf->subject, id->subject, sizeof(id->subject));
	se_dn_str(&leaf->issuer, id->issuer, sizeof(id->issuer));
	se_time_str(&leaf->valid_from, id->not_before, sizeof(id->not_before));
	se_time_str(&leaf->valid_to, id->not_after, sizeof(id->not_after));
	key_type_str(&leaf->pk, id->key_type, sizeof(id->key_type));
	_Static_assert(sizeof(id->fingerprint) >= SHA256_HEX_LEN, "fingerprint holds SHA-256 hex");
	_Static_assert(sizeof(id->spki_sha256) >= SHA256_HEX_LEN, "spki_sha256 holds SHA-256 hex");
	sha256_hex(leaf->raw.p, leaf->raw.len, id->fingerprint);
	/* mbedTLS writes the DER at the end of the buffer. */
	len = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)&leaf->pk, der, sizeof(der));
	if (len > 0) {
		sha256_hex(der + sizeof(der) - len, (size_t)len, id->spki_sha256);
	}
}

void se_check_leaf(const mbedtls_x509_crt *leaf, const struct se_policy *p,
		   struct se_identity *id)
{
	fill_fields(leaf, id);
	check_serial_number(leaf, p, id);
	check_cn(leaf, p, id);
	check_masa(leaf, p, id);
	check_not_after(leaf, id);
	check_key(leaf, p, id);
	if (se_dpp_uri(&leaf->pk, id->subject_serial, id->dpp_uri, sizeof(id->dpp_uri)) < 0)
		id->dpp_uri[0] = '\0';
}

/* SubjectPublicKeyInfo for id-ecPublicKey / prime256v1 with a compressed
 * point: what the DPP bootstrapping key is (Easy Connect section 5.2.1). */
static const unsigned char spki_p256_compressed_hdr[] = {
	0x30, 0x39, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x22, 0x00,
};

int se_dpp_uri(const mbedtls_pk_context *pk, const char *serial, char *out, size_t cap)
{
	unsigned char der[sizeof(spki_p256_compressed_hdr) + 33];
	unsigned char b64[128];
	const mbedtls_ecp_keypair *ec;
	size_t hdr = sizeof(spki_p256_compressed_hdr), olen = 0;
	bool with_info;
	int n;

	if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECKEY))
		return ST_ERR_NOTSUP;
	ec = mbedtls_pk_ec(*pk);
	if (ec->grp.id != MBEDTLS_ECP_DP_SECP256R1)
		return ST_ERR_NOTSUP;
	memcpy(der, spki_p256_compressed_hdr, hdr);
	der[hdr] = (unsigned char)(0x02 | mbedtls_mpi_get_bit(&ec->Q.Y, 0));
	if (mbedtls_mpi_write_binary(&ec->Q.X, der + hdr + 1, 32) != 0)
		return ST_ERR;
	if (mbedtls_base64_encode(b64, sizeof(b64), &olen, der, sizeof(der)) != 0)
		return ST_ERR_LIMIT;
	/* I: is free text without ';' (%x20-3A / %x3C-7E). */
	with_info = serial && serial[0] && !strchr(serial, ';') &&
		    printable((const unsigned char *)serial, strlen(serial));
	n = snprintf(out, cap, "DPP:%s%s%sK:%s;;", with_info ? "I:SN=" : "",
		     with_info ? serial : "", with_info ? ";" : "", (const char *)b64);
	if (n < 0 || (size_t)n >= cap)
		return ST_ERR_LIMIT;
	return ST_OK;
}
