/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console backend: the SE as the diagnostic firmware exposes it on the
 * board's line console.
 *
 *   se info        -> "chip: VaultIC408", "serial: <hex>", "key: p256", OK
 *   se cert        -> PEM leaf, then its issuers, OK
 *   se sign <hex>  -> "sig: <hex DER ECDSA over SHA-256 of the bytes>", OK
 *
 * The transport (send a command, collect the lines before OK/ERR) is the
 * caller's, so se/ does not depend on fixtures/.  Everything from the wire
 * is bounded and checked before it is believed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "se"
#include "../common/log.h"
#include "se_int.h"

#define INFO_MAX 1024
#define SIGN_MSG_MAX 128	/* bytes we ask the SE to sign in one command */
#define SIGN_RESP_MAX 1024

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

static int console_cert_chain(struct se *se, char *pem, size_t cap, struct st_error *e)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	char *resp, *b, *last = NULL, ex[96];
	size_t n;
	int ret;

	resp = malloc(SE_CHAIN_MAX);
	if (!resp)
		return st_fail(e, ST_ERR_NOMEM, "out of memory for the certificate chain");
	ret = se_cmd(se, "se cert", resp, SE_CHAIN_MAX, e);
	if (ret < 0)
		goto out;
	b = strstr(resp, begin);
	for (char *p = b; p && (p = strstr(p, end)) != NULL; p += sizeof(end) - 1)
		last = p;
	if (!b || !last || last < b) {
		ret = st_fail(e, ST_ERR_PROTO, "the board's answer to 'se cert' holds no PEM "
			      "certificate (got '%s'): check the diagnostic firmware and that "
			      "the SE is provisioned", excerpt(resp, ex, sizeof(ex)));
		goto out;
	}
	n = (size_t)(last + sizeof(end) - 1 - b);
	if (n + 2 > cap) {
		ret = st_fail(e, ST_ERR_LIMIT, "the SE's certificate chain (%zu bytes) does not "
			      "fit in %zu bytes", n, cap);
		goto out;
	}
	memcpy(pem, b, n);
	memcpy(pem + n, "\n", 2);
	ret = ST_OK;
out:
	free(resp);
	return ret;
}

static int console_sign(struct se *se, const uint8_t *msg, size_t len, uint8_t *sig,
			size_t cap, size_t *sig_len, struct st_error *e)
{
	char cmd[sizeof("se sign ") + 2 * SIGN_MSG_MAX], resp[SIGN_RESP_MAX], ex[96];
	const char *v;
	size_t n = 0;
	int ret;

	if (len == 0 || len > SIGN_MSG_MAX)
		return st_fail(e, ST_ERR_ARG, "can only ask the SE to sign 1..%d bytes, not %zu",
			       SIGN_MSG_MAX, len);
	memcpy(cmd, "se sign ", 8);
	se_hex_encode(msg, len, cmd + 8, sizeof(cmd) - 8, false);
	ret = se_cmd(se, cmd, resp, sizeof(resp), e);
	if (ret < 0)
		return ret;
	v = find_field(resp, "sig", &n);
	if (!v)
		return st_fail(e, ST_ERR_PROTO, "the board's answer to 'se sign' has no "
			       "'sig: <hex>' line (got '%s'): check the diagnostic firmware",
			       excerpt(resp, ex, sizeof(ex)));
	ret = se_hex_decode(v, n, sig, cap);
	if (ret < 0)
		return st_fail(e, ST_ERR_PROTO, "the SE's signature is %s (got '%s')",
			       ret == ST_ERR_LIMIT ? "longer than any ECDSA signature" :
			       "not hex (an even number of hex digits)", excerpt(v, ex, sizeof(ex)));
	*sig_len = (size_t)ret;
	return ST_OK;
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
