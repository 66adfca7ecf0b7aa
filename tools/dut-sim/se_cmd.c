// SPDX-License-Identifier: Apache-2.0
/*
 * The diagnostic firmware's se commands: the factory identity in slot 0
 * (se.c) and on-chip enrolment in slots 1.. (se_slots.c).  Lines stay within
 * CONSOLE_LINE_MAX both ways, so a certificate comes in as base64 chunks:
 *
 *   se info                          chip, serial, key type
 *   se cert [SLOT]                   slot 0 (default): the chain; else the slot's certificate
 *   se sign [SLOT] HEX               sig: <hex DER ECDSA over SHA-256 of the bytes>
 *   se keygen SLOT                   a new P-256 key in SLOT (the private key never leaves)
 *   se csr SLOT SUBJECT              a PKCS#10 CSR signed by SLOT's key, PEM lines
 *   se write-cert SLOT begin | data BASE64 | end
 *                                    a DER certificate for SLOT; end checks it
 *   se slots                         one line per slot
 *
 * "se sign" signs whatever 1..64 bytes it is given (SHA-256, then ECDSA with
 * the slot's key): a signing oracle for anyone on the console.  The station
 * therefore binds its proof of possession to a fixed prefix, the chip
 * serial and a fresh nonce (docs/identity.md).  Whether the real firmware
 * restricts what it signs is not known; the simulator does not pretend to.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/dut-sim/dutsim.h"

#define WHY_MAX 160
#define PEM_OUT_MAX 4096

static int parse_hex(const char *in, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(in);

	if (!n || n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)in[i]))
			return -1;
	for (size_t i = 0; i < n / 2; i++) {
		char pair[3] = { in[2 * i], in[2 * i + 1], '\0' };

		out[i] = (uint8_t)strtoul(pair, NULL, 16);
	}
	*len = n / 2;
	return 0;
}

/* "N" or "N rest": the slot number, *rest past it; -1 when not a slot. */
static int slot_arg(const char *args, const char **rest)
{
	if (!isdigit((unsigned char)args[0]) || (args[1] && args[1] != ' '))
		return -1;
	*rest = args + 1 + strspn(args + 1, " ");
	return args[0] - '0';
}

static void say_lines(struct sim *s, const char *p)
{
	while (*p) {
		size_t n = strcspn(p, "\r\n");

		if (n)
			console_say(s, "%.*s", (int)n, p);
		p += n;
		p += strspn(p, "\r\n");
	}
}

static void cmd_sign(struct sim *s, const char *args)
{
	uint8_t msg[64], sig[160];
	char out[2 * sizeof(sig) + 1], why[WHY_MAX];
	const char *hex = args;
	size_t mlen, slen;
	int slot = 0, ret;

	/* two words: the first is the slot (one word: slot 0, as before slots) */
	if (strchr(args, ' ') && (slot = slot_arg(args, &hex)) < 0) {
		console_say(s, "ERR usage: se sign [slot] <hex, 1..64 bytes>");
		return;
	}
	if (parse_hex(hex, msg, sizeof(msg), &mlen) < 0) {
		console_say(s, "ERR usage: se sign [slot] <hex, 1..64 bytes>");
		return;
	}
	if (slot == 0) {
		ret = se_sign(s->se, msg, mlen, sig, sizeof(sig), &slen);
		snprintf(why, sizeof(why), "secure element signing failed");
	} else {
		ret = se_slots_sign(se_get_slots(s->se), slot, msg, mlen, sig, sizeof(sig), &slen,
				    why, sizeof(why));
	}
	if (ret < 0) {
		console_say(s, "ERR %s", why);
		return;
	}
	console_hex(out, sig, slen);
	console_say(s, "sig: %s", out);
	console_say(s, "OK");
}

static void cmd_cert(struct sim *s, const char *args)
{
	char pem[PEM_OUT_MAX], why[WHY_MAX];
	const char *rest;
	int slot = *args ? slot_arg(args, &rest) : 0;

	if (slot < 0 || (*args && *rest)) {
		console_say(s, "ERR usage: se cert [slot]");
		return;
	}
	if (slot == 0) {
		say_lines(s, se_cert_pem(s->se));
	} else if (se_slots_cert_pem(se_get_slots(s->se), slot, pem, sizeof(pem), why,
				     sizeof(why)) < 0) {
		console_say(s, "ERR %s", why);
		return;
	} else {
		say_lines(s, pem);
	}
	console_say(s, "OK");
}

static void cmd_keygen(struct sim *s, const char *args)
{
	char why[WHY_MAX], spki[65] = "";
	const char *rest;
	int slot = slot_arg(args, &rest);

	if (slot < 0 || *rest) {
		console_say(s, "ERR usage: se keygen <slot>");
		return;
	}
	if (se_slots_keygen(se_get_slots(s->se), slot, spki, sizeof(spki), why, sizeof(why)) < 0) {
		console_say(s, "ERR %s", why);
		return;
	}
	console_say(s, "slot: %d", slot);
	console_say(s, "key: p256");
	console_say(s, "spki-sha256: %s", spki);
	console_say(s, "OK");
}

static void cmd_csr(struct sim *s, const char *args)
{
	char pem[PEM_OUT_MAX], why[WHY_MAX];
	const char *subject;
	int slot = slot_arg(args, &subject);

	if (slot < 0 || !*subject) {
		console_say(s, "ERR usage: se csr <slot> <subject, e.g. CN=X,serialNumber=X>");
		return;
	}
	if (se_slots_csr(se_get_slots(s->se), slot, subject, pem, sizeof(pem), why,
			 sizeof(why)) < 0) {
		console_say(s, "ERR %s", why);
		return;
	}
	say_lines(s, pem);
	console_say(s, "OK");
}

static void cmd_write_cert(struct sim *s, const char *args)
{
	char op[8], why[WHY_MAX];
	const char *rest, *data;
	size_t n, written = 0;
	int slot = slot_arg(args, &rest);

	n = strcspn(rest, " ");
	data = rest + n + strspn(rest + n, " ");
	if (slot < 0 || n == 0 || n >= sizeof(op)) {
		console_say(s, "ERR usage: se write-cert <slot> begin | data <base64> | end");
		return;
	}
	memcpy(op, rest, n);
	op[n] = '\0';
	if (!strcmp(op, "end") && s->faults.se_rekey) {
		s->faults.se_rekey = false;
		se_slots_rekey(se_get_slots(s->se), slot);
	}
	if (se_slots_write(se_get_slots(s->se), slot, op, data, &written, why, sizeof(why)) < 0) {
		console_say(s, "ERR %s", why);
		return;
	}
	if (written)
		console_say(s, "written: %zu bytes", written);
	console_say(s, "OK");
}

static void cmd_slots(struct sim *s)
{
	char line[WHY_MAX + 64];

	console_say(s, "slot 0: key %s, factory identity (read-only)", se_key_type(s->se));
	for (int i = 1; i < SE_SLOTS; i++) {
		se_slots_describe(se_get_slots(s->se), i, line, sizeof(line));
		console_say(s, "%s", line);
	}
	console_say(s, "OK");
}

/* "word rest": true when args starts with the word w; *rest past it. */
static bool sub(const char *args, const char *w, const char **rest)
{
	size_t n = strlen(w);

	if (strncmp(args, w, n) || (args[n] && args[n] != ' '))
		return false;
	*rest = args + n + strspn(args + n, " ");
	return true;
}

void se_command(struct sim *s, const char *args)
{
	const char *rest;

	if (!strcmp(args, "info")) {
		console_say(s, "chip: VaultIC408");
		console_say(s, "serial: %s", se_chip_serial(s->se));
		console_say(s, "key: %s", se_key_type(s->se));
		console_say(s, "OK");
	} else if (sub(args, "cert", &rest)) {
		cmd_cert(s, rest);
	} else if (sub(args, "sign", &rest)) {
		cmd_sign(s, rest);
	} else if (sub(args, "keygen", &rest)) {
		cmd_keygen(s, rest);
	} else if (sub(args, "csr", &rest)) {
		cmd_csr(s, rest);
	} else if (sub(args, "write-cert", &rest)) {
		cmd_write_cert(s, rest);
	} else if (!strcmp(args, "slots")) {
		cmd_slots(s);
	} else {
		console_say(s, "ERR usage: se info | cert [slot] | sign [slot] <hex> | keygen <slot> "
			    "| csr <slot> <subject> | write-cert <slot> begin|data <b64>|end | slots");
	}
}
