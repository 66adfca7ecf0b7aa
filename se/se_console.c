/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console backend: the SE as the diagnostic firmware exposes it on the
 * board's line console.
 *
 *   se info        -> "chip: VaultIC408", "serial: <hex>", "key: p256", OK
 *   se cert        -> PEM leaf, then its issuers, OK
 *   se sign <hex>  -> "sig: <hex DER ECDSA over SHA-256 of the bytes>", OK
 * and for on-chip enrolment, slot N (1..9; 0 is the factory identity):
 *   se keygen N, se csr N <subject> (PEM CSR), se cert N, se sign N <hex>,
 *   se write-cert N begin | data <base64, 192 chars a line> | end
 *
 * The transport (send a command, collect the lines before OK/ERR) is the
 * caller's, so se/ does not depend on fixtures/.  Everything from the wire
 * is bounded and checked before it is believed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>

#define LOG_PREFIX "se"
#include "common/hex.h"
#include "common/log.h"
#include "se/se-internal.h"

#define INFO_MAX 1024
/* Bytes we ask the SE to sign in one command.  The diagnostic firmware
 * (dut-sim, docs/identity.md) takes 1..64; the proof-of-possession message
 * (se_pop_message) is exactly 64, so it fits both. */
#define SIGN_MSG_MAX 128
#define SIGN_RESP_MAX 1024
#define CMD_MAX 240		/* a console line the board takes (dut-sim: 256) */
#define WRITE_CHUNK 192		/* base64 characters per write-cert data line */
#define SE_CERT_DER_MAX 3072	/* the largest certificate an SE slot holds */

struct console_priv {
	se_xfer_fn xfer;
	void *ctx;
};

/* A short, printable excerpt of what the board sent, for messages. */
static const char *excerpt(const char *s, char *out, size_t cap)
{
	size_t i, j = 0;

	for (i = 0; s[i] && i < 60 && j + 8 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			out[j++] = '|';
		else if (c < 0x20 || c > 0x7e)
			j += (size_t)snprintf(out + j, cap - j, "\\x%02x", c);
		else
			out[j++] = (char)c;
	}
	out[j] = '\0';
	if (s[i] && j + 4 <= cap)
		strcat(out, "...");
	return out;
}

/* Run one SE command; translate the board's "ERR no secure element". */
static int se_cmd(struct se *se, const char *cmd, char *resp, size_t cap, struct st_error *e)
{
	struct console_priv *c = se->priv;
	int ret;

	resp[0] = '\0';
	ret = c->xfer(c->ctx, cmd, resp, cap, se->timeout_ms, e);
	if (ret == ST_OK)
		return ST_OK;
	if (ret == ST_ERR_FAIL && e && strstr(e->msg, "no secure element"))
		return st_fail(e, ST_ERR_FAIL, "the board reports no secure element: check the "
			       "SE is fitted");
	if (ret == ST_ERR_LIMIT)
		return st_fail(e, ST_ERR_LIMIT, "the board's answer to '%s' is longer than %zu "
			       "bytes: the diagnostic firmware sent more than an SE can hold",
			       cmd, cap);
	st_error_prefix(e, "%s", cmd);
	return ret;
}

/* The value of the first "key: value" line, trimmed; NULL when absent. */
static const char *find_field(char *resp, const char *key, size_t *len)
{
	size_t klen = strlen(key);

	for (char *line = resp; line && *line; ) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (n > klen && !strncmp(line, key, klen) && line[klen] == ':') {
			char *v = line + klen + 1;

			while (*v == ' ')
				v++;
			n -= (size_t)(v - line);
			while (n && (v[n - 1] == ' ' || v[n - 1] == '\r'))
				n--;
			*len = n;
			return v;
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

static int console_info(struct se *se, char *chip_serial, size_t cap, struct st_error *e)
{
	char resp[INFO_MAX], ex[96];
	const char *v;
	size_t n = 0;
	int ret;

	ret = se_cmd(se, "se info", resp, sizeof(resp), e);
	if (ret < 0)
		return ret;
	v = find_field(resp, "serial", &n);
	if (!v || !all_hex(v, n) || n >= cap)
		return st_fail(e, ST_ERR_PROTO, "the board's answer to 'se info' has no valid "
			       "'serial: <hex>' line (got '%s'): check the diagnostic firmware",
			       excerpt(resp, ex, sizeof(ex)));
	memcpy(chip_serial, v, n);
	chip_serial[n] = '\0';
	v = find_field(resp, "chip", &n);
	log_info("secure element %.*s, serial %s", v ? (int)n : 7, v ? v : "unknown",
		 chip_serial);
	return ST_OK;
}

/* The PEM block(s) of type kind in the answer to cmd: from the first BEGIN
 * to the last END, so a chain comes whole and noise around it is dropped. */
static int read_pem(struct se *se, const char *cmd, const char *kind, char *pem, size_t cap,
		    struct st_error *e)
{
	char begin[64], end[64], what[32], *resp, *b, *last = NULL, ex[96];
	size_t n, endlen, i;
	int ret;

	for (i = 0; kind[i] && i + 1 < sizeof(what); i++)
		what[i] = (char)tolower((unsigned char)kind[i]);
	what[i] = '\0';
	snprintf(begin, sizeof(begin), "-----BEGIN %s-----", kind);
	endlen = (size_t)snprintf(end, sizeof(end), "-----END %s-----", kind);
	resp = malloc(SE_CHAIN_MAX);
	if (!resp)
		return st_fail(e, ST_ERR_NOMEM, "out of memory for the answer to '%s'", cmd);
	ret = se_cmd(se, cmd, resp, SE_CHAIN_MAX, e);
	if (ret < 0)
		goto out;
	b = strstr(resp, begin);
	for (char *p = b; p && (p = strstr(p, end)) != NULL; p += endlen)
		last = p;
	if (!b || !last || last < b) {
		ret = st_fail(e, ST_ERR_PROTO, "the board's answer to '%s' holds no PEM %s "
			      "(got '%s'): check the diagnostic firmware%s", cmd, what,
			      excerpt(resp, ex, sizeof(ex)), strcmp(cmd, "se cert") ? "" :
			      " and that the SE is provisioned");
		goto out;
	}
	n = (size_t)(last + endlen - b);
	if (n + 2 > cap) {
		ret = st_fail(e, ST_ERR_LIMIT, "the SE's answer to '%s' (%zu bytes of PEM) does "
			      "not fit in %zu bytes", cmd, n, cap);
		goto out;
	}
	memcpy(pem, b, n);
	memcpy(pem + n, "\n", 2);
	ret = ST_OK;
out:
	free(resp);
	return ret;
}

static int console_cert_chain(struct se *se, char *pem, size_t cap, struct st_error *e)
{
	return read_pem(se, "se cert", "CERTIFICATE", pem, cap, e);
}

/* "se sign [slot] <hex>": slot < 0 is the factory key, as before slots. */
static int sign_cmd(struct se *se, int slot, const uint8_t *msg, size_t len, uint8_t *sig,
		    size_t cap, size_t *sig_len, struct st_error *e)
{
	char cmd[sizeof("se sign 9 ") + 2 * SIGN_MSG_MAX], resp[SIGN_RESP_MAX], ex[96];
	const char *v;
	size_t n = 0;
	int ret, pre;

	if (len == 0 || len > SIGN_MSG_MAX)
		return st_fail(e, ST_ERR_ARG, "can only ask the SE to sign 1..%d bytes, not %zu",
			       SIGN_MSG_MAX, len);
	pre = slot < 0 ? snprintf(cmd, sizeof(cmd), "se sign ") :
	      snprintf(cmd, sizeof(cmd), "se sign %d ", slot);
	hex_encode(msg, len, cmd + pre, sizeof(cmd) - (size_t)pre, false);
	ret = se_cmd(se, cmd, resp, sizeof(resp), e);
	if (ret < 0)
		return ret;
	v = find_field(resp, "sig", &n);
	if (!v)
		return st_fail(e, ST_ERR_PROTO, "the board's answer to 'se sign' has no "
			       "'sig: <hex>' line (got '%s'): check the diagnostic firmware",
			       excerpt(resp, ex, sizeof(ex)));
	ret = hex_decode(v, n, sig, cap);
	if (ret < 0)
		return st_fail(e, ST_ERR_PROTO, "the SE's signature is %s (got '%s')",
			       ret == ST_ERR_LIMIT ? "longer than any ECDSA signature" :
			       "not hex (an even number of hex digits)", excerpt(v, ex, sizeof(ex)));
	*sig_len = (size_t)ret;
	return ST_OK;
}

static int console_sign(struct se *se, const uint8_t *msg, size_t len, uint8_t *sig,
			size_t cap, size_t *sig_len, struct st_error *e)
{
	return sign_cmd(se, -1, msg, len, sig, cap, sig_len, e);
}

static int console_slot_sign(struct se *se, int slot, const uint8_t *msg, size_t len,
			     uint8_t *sig, size_t cap, size_t *sig_len, struct st_error *e)
{
	return sign_cmd(se, slot, msg, len, sig, cap, sig_len, e);
}

static int console_keygen(struct se *se, int slot, struct st_error *e)
{
	char cmd[32], resp[INFO_MAX];

	snprintf(cmd, sizeof(cmd), "se keygen %d", slot);
	return se_cmd(se, cmd, resp, sizeof(resp), e);
}

static int console_csr(struct se *se, int slot, const char *subject, char *pem, size_t cap,
		       struct st_error *e)
{
	char cmd[CMD_MAX];

	/* one console line: no line breaks, and short enough for the board */
	if (!*subject || strpbrk(subject, "\r\n") ||
	    (size_t)snprintf(cmd, sizeof(cmd), "se csr %d %s", slot, subject) >= sizeof(cmd))
		return st_fail(e, ST_ERR_ARG, "the CSR subject '%.64s' must be one line of at "
			       "most %d characters", subject, CMD_MAX - 10);
	return read_pem(se, cmd, "CERTIFICATE REQUEST", pem, cap, e);
}

static int console_read_cert(struct se *se, int slot, char *pem, size_t cap, struct st_error *e)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "se cert %d", slot);
	return read_pem(se, cmd, "CERTIFICATE", pem, cap, e);
}

/* "se write-cert 1 end: <why>" -> "the SE refused the certificate: <why>" */
static void refused(struct st_error *e, const char *cmd)
{
	char why[ST_ERRMSG_MAX];
	size_t cl = strlen(cmd);

	if (!e)
		return;
	snprintf(why, sizeof(why), "%s", !strncmp(e->msg, cmd, cl) &&
		 !strncmp(e->msg + cl, ": ", 2) ? e->msg + cl + 2 : e->msg);
	st_fail(e, ST_ERR_FAIL, "the SE refused the certificate: %s", why);
}

/* One certificate, PEM -> DER -> base64 chunks on bounded console lines:
 * se write-cert N begin, data <b64>..., end (the SE checks it at end). */
static int console_write_cert(struct se *se, int slot, const char *pem, struct st_error *e)
{
	unsigned char b64[4 * (SE_CERT_DER_MAX / 3) + 8];
	char cmd[CMD_MAX], resp[INFO_MAX], m[200];
	mbedtls_x509_crt crt;
	size_t n = 0;
	int ret;

	mbedtls_x509_crt_init(&crt);
	ret = mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, strlen(pem) + 1);
	if (ret != 0 || crt.raw.len > SE_CERT_DER_MAX) {
		ret = st_fail(e, ST_ERR_ARG, "not a certificate the SE can hold (%s)",
			      ret ? se_mbedtls_msg(ret, m, sizeof(m)) : "too large");
		goto out;
	}
	mbedtls_base64_encode(b64, sizeof(b64), &n, crt.raw.p, crt.raw.len);
	snprintf(cmd, sizeof(cmd), "se write-cert %d begin", slot);
	ret = se_cmd(se, cmd, resp, sizeof(resp), e);
	for (size_t off = 0; ret == ST_OK && off < n; off += WRITE_CHUNK) {
		snprintf(cmd, sizeof(cmd), "se write-cert %d data %.*s", slot,
			 (int)(n - off < WRITE_CHUNK ? n - off : WRITE_CHUNK), b64 + off);
		ret = se_cmd(se, cmd, resp, sizeof(resp), e);
	}
	if (ret == ST_OK) {
		snprintf(cmd, sizeof(cmd), "se write-cert %d end", slot);
		ret = se_cmd(se, cmd, resp, sizeof(resp), e);
	}
	if (ret == ST_ERR_FAIL)
		refused(e, cmd);
out:
	mbedtls_x509_crt_free(&crt);
	return ret;
}

static void console_close(struct se *se)
{
	free(se->priv);
	se->priv = NULL;
}

const struct se_ops se_console_ops = {
	.name = "console",
	.info = console_info,
	.cert_chain = console_cert_chain,
	.sign = console_sign,
	.close = console_close,
	.keygen = console_keygen,
	.csr = console_csr,
	.write_cert = console_write_cert,
	.read_cert = console_read_cert,
	.slot_sign = console_slot_sign,
};

int se_open_console(struct se **out, se_xfer_fn xfer, void *ctx, int timeout_ms,
		    struct st_error *e)
{
	struct console_priv *c;
	struct se *se;

	if (!xfer)
		return st_fail(e, ST_ERR_ARG, "se console: no transport given");
	se = calloc(1, sizeof(*se));
	c = calloc(1, sizeof(*c));
	if (!se || !c) {
		free(se);
		free(c);
		return st_fail(e, ST_ERR_NOMEM, "out of memory opening the SE");
	}
	c->xfer = xfer;
	c->ctx = ctx;
	se->ops = &se_console_ops;
	se->priv = c;
	se->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	*out = se;
	return ST_OK;
}
