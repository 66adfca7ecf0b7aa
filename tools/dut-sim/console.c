// SPDX-License-Identifier: Apache-2.0
/*
 * The firmware consoles: a line protocol ("cmd args" in, response lines out,
 * the last one "OK" or "ERR <reason>", lines end CR LF, no echo).  The
 * diagnostic firmware measures rails, runs a self test and fronts the secure
 * element; the production firmware only knows version, id and selftest.
 *
 * Tagged requests: a line "#<tag> cmd args" (tag: 1..9 decimal digits) is
 * answered with every line, status included, starting "#<tag> ", so the
 * station can tell a late reply to an earlier request from the reply to the
 * one it just sent (docs/sequences.md, "Console protocol").  An untagged
 * line is answered untagged, for a person at a terminal.  Replies leave in
 * request order, as from a firmware with one command loop.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "tools/dut-sim/dutsim.h"

struct ccmd {
	const char *name;
	bool diag_only;
	void (*run)(struct sim *s, const char *args);
};

/* all output of one command leaves after its line arrived (+ SE latency) */
static uint64_t reply_at;
/* the tag of the request being answered, "" for an untagged one */
static char reply_tag[12];

static void say(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct sim *s, const char *fmt, ...)
{
	char buf[CONSOLE_LINE_MAX * 2];
	va_list ap;
	int n, t = 0;

	if (reply_tag[0])
		t = snprintf(buf, sizeof(buf), "#%s ", reply_tag);
	va_start(ap, fmt);
	n = vsnprintf(buf + t, sizeof(buf) - 2 - (size_t)t, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += t;
	if ((size_t)n > sizeof(buf) - 3)
		n = sizeof(buf) - 3;
	memcpy(buf + n, "\r\n", 2);
	wire_send(s, buf, n + 2, reply_at);
}

static const char *kind_name(const struct sim *s)
{
	return fwimg_kind_name(s->fw.kind);
}

void console_boot(struct sim *s, uint64_t when)
{
	s->line_len = 0;
	s->line_overflow = false;
	reply_at = when;
	reply_tag[0] = '\0';
	sim_log("firmware %s %s boots", kind_name(s), s->fw.version);
	say(s, "%s %s ready", kind_name(s), s->fw.version);
}

void console_say(struct sim *s, const char *fmt, ...)
{
	char buf[CONSOLE_LINE_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	say(s, "%s", buf);
}

void console_hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static void c_version(struct sim *s, const char *args)
{
	say(s, "%s %s", kind_name(s), s->fw.version);
	say(s, "OK");
}

/* the MCU's 96-bit unique id, stable per board serial */
static void c_id(struct sim *s, const char *args)
{
	uint8_t h[32];
	char msg[128], out[25];

	snprintf(msg, sizeof(msg), "uid:%s", s->serial);
	mbedtls_sha256_ret((const uint8_t *)msg, strlen(msg), h, 0);
	console_hex(out, h, 12);
	say(s, "uid: %s", out);
	say(s, "OK");
}

static const struct { const char *name; double volts; } rails[] = {
	{ "3v3", 3.3 }, { "1v8", 1.8 }, { "5v0", 5.0 },
};

/* small deterministic noise (+-10 mV) so repeated reads differ like an ADC */
static double noise(struct sim *s, const char *name)
{
	uint32_t h = 2166136261u;
	char key[160];

	snprintf(key, sizeof(key), "%s/%s/%u", s->serial, name, s->rail_reads++);
	for (const char *c = key; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	return ((int)(h % 21) - 10) / 1000.0;
}

static void c_rail(struct sim *s, const char *args)
{
	for (size_t i = 0; i < sizeof(rails) / sizeof(rails[0]); i++) {
		double v;

		if (strcmp(args, rails[i].name))
			continue;
		v = rails[i].volts + noise(s, rails[i].name);
		for (int r = 0; r < s->n_rails; r++)
			if (!strcmp(s->rails[r].name, args))
				v = s->rails[r].volts;
		if (!strcmp(s->faults.rail_name, args))
			v = s->faults.rail_volts;
		say(s, "rail %s: %.3f V", args, v);
		say(s, "OK");
		return;
	}
	say(s, "ERR unknown rail '%.32s' (3v3, 1v8, 5v0)", args);
}

static void c_selftest(struct sim *s, const char *args)
{
	if (s->faults.selftest_fail) {
		say(s, "ERR selftest failed: flash ecc");
		return;
	}
	say(s, "selftest: pass");
	say(s, "OK");
}

/* The SE's own commands are in se_cmd.c; the faults of the part are here. */
static void c_se(struct sim *s, const char *args)
{
	if (s->faults.no_se || !s->se) {
		say(s, "ERR no secure element");
		return;
	}
	if (s->faults.slow_se_ms)
		reply_at += s->faults.slow_se_ms * 1000000ull;
	se_command(s, args);
}

static void c_help(struct sim *s, const char *args);

static const struct ccmd cmds[] = {
	{ "help", false, c_help },
	{ "version", false, c_version },
	{ "id", false, c_id },
	{ "selftest", false, c_selftest },
	{ "rail", true, c_rail },
	{ "se", true, c_se },
};

static void c_help(struct sim *s, const char *args)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!cmds[i].diag_only || s->mode == MODE_DIAG)
			say(s, "%s", cmds[i].name);
	say(s, "OK");
}

static void run_line(struct sim *s, char *line)
{
	char *args;
	size_t n;

	line += strspn(line, " \t");
	reply_tag[0] = '\0';
	if (line[0] == '#') {
		size_t d = strspn(line + 1, "0123456789");

		if (d < 1 || d >= sizeof(reply_tag) - 2 || (line[1 + d] != ' ' && line[1 + d])) {
			say(s, "ERR malformed tag: '#' then 1..9 digits, a space, the command");
			return;
		}
		memcpy(reply_tag, line + 1, d);
		reply_tag[d] = '\0';
		line += 1 + d;
		line += strspn(line, " \t");
	}
	n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	if (!n)
		return;
	args = line + strcspn(line, " \t");
	if (*args)
		*args++ = '\0';
	args += strspn(args, " \t");
	sim_log("console: %s%s%s", line, *args ? " " : "", *args ? args : "");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i].name, line) || (cmds[i].diag_only && s->mode != MODE_DIAG))
			continue;
		cmds[i].run(s, args);
		return;
	}
	say(s, "ERR unknown command '%.64s'", line);
}

static void end_of_line(struct sim *s)
{
	reply_at = s->now_dev;
	reply_tag[0] = '\0';
	if (s->faults.garbage) {
		uint8_t g[32];
		size_t n = 8 + sim_random(s) % 24;

		for (size_t i = 0; i < n; i++)
			g[i] = 0x80 | sim_random(s);
		wire_send(s, g, n, reply_at);
	} else if (s->line_overflow) {
		say(s, "ERR line too long");
	} else {
		s->line_buf[s->line_len] = '\0';
		if (!s->line_buf[strspn(s->line_buf, " \t")])
			return; /* empty line: no reply, like a shell */
		run_line(s, s->line_buf);
	}
	if (s->faults.disconnect_after > 0 && --s->faults.disconnect_after == 0) {
		sim_log("fault disconnect-after: closing the console");
		s->faults.disconnect_after = -1;
		s->close_pending = true;
		s->mode = MODE_DEAD;
	}
}

void console_input(struct sim *s, uint8_t b)
{
	if (b == '\r' || b == '\n') {
		if (s->line_len || s->line_overflow)
			end_of_line(s);
		s->line_len = 0;
		s->line_overflow = false;
		return;
	}
	if (s->line_len < CONSOLE_LINE_MAX)
		s->line_buf[s->line_len++] = b;
	else
		s->line_overflow = true;
}
