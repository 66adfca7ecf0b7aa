// SPDX-License-Identifier: Apache-2.0
/*
 * SCPI message handling, as strict as an instrument following the standards:
 *  - IEEE 488.2-1992 7.3 / SCPI-1999 Vol 1 6: a program message is program
 *    message units separated by ';', ended by the newline; a header is
 *    keywords joined by ':', each in its short form (the upper-case part of
 *    the mnemonic, e.g. MEAS) or its long form (MEASURE), any case; "[...]"
 *    nodes are optional; a query header ends with '?'.
 *  - IEEE 488.2 10: the common commands (*IDN?, *RST, *CLS, *ESR?, *ESE,
 *    *ESE?, *OPC, *OPC?, *STB?, *WAI, *TST?).
 *  - SCPI-1999 Vol 2 21.8 SYSTem:ERRor[:NEXT]?: the error/event queue, first
 *    in first out, "<code>,\"<text>\"", 0,"No error" when empty; when full
 *    the newest entry is replaced by -350,"Queue overflow"; *CLS empties it.
 *  - IEEE 488.2 11.5.1: each error also sets its bit in the Standard Event
 *    Status Register: -100..-199 Command Error (bit 5), -200..-299
 *    Execution Error (bit 4), -300..-399 Device-Dependent Error (bit 3),
 *    -400..-499 Query Error (bit 2).  *ESR? reads and clears it.
 * Not modelled (we do not know what a given instrument does there, so it
 * is refused rather than guessed): a unit after ';' without a leading ':'
 * is resolved from the root here, where SCPI-1999 Vol 1 6.2.4 resolves it
 * at the previous header's level; units (3.3V) and MIN/MAX/DEF parameters
 * are a -224 Illegal parameter value.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/instr-sim/instr.h"

void scpi_error(struct instr *in, int code, const char *text)
{
	if (code <= -100 && code > -200)
		in->esr |= 1u << 5;
	else if (code <= -200 && code > -300)
		in->esr |= 1u << 4;
	else if (code <= -300 && code > -400)
		in->esr |= 1u << 3;
	else if (code <= -400 && code > -500)
		in->esr |= 1u << 2;
	if (in->n_queue == SCPI_QUEUE_MAX) {
		in->queue[SCPI_QUEUE_MAX - 1].code = -350;
		snprintf(in->queue[SCPI_QUEUE_MAX - 1].text, sizeof(in->queue[0].text),
			 "Queue overflow");
		return;
	}
	in->queue[in->n_queue].code = code;
	snprintf(in->queue[in->n_queue].text, sizeof(in->queue[0].text), "%s", text);
	in->n_queue++;
}

void scpi_reply(struct instr *in, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (in->out_len && in->out_len + 1 < sizeof(in->out))
		in->out[in->out_len++] = ';';	/* responses of one message: ';' joined */
	va_start(ap, fmt);
	n = vsnprintf(in->out + in->out_len, sizeof(in->out) - in->out_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		in->out_len += (size_t)n < sizeof(in->out) - in->out_len ? (size_t)n :
			       sizeof(in->out) - in->out_len - 1;
}

/* One keyword against one mnemonic ("VOLTage"): short or long form. */
static bool keyword(const char *k, size_t kn, const char *m, size_t mn)
{
	size_t sn = 0;

	while (sn < mn && (isupper((unsigned char)m[sn]) || isdigit((unsigned char)m[sn]) ||
			   m[sn] == '*'))
		sn++;
	if (kn == sn && !strncasecmp(k, m, sn))
		return true;
	return kn == mn && !strncasecmp(k, m, mn);
}

#define SCPI_NODES_MAX 8

struct node {
	const char *s;
	size_t n;
	bool optional;
};

/* "MEASure:VOLTage[:DC]?" or "meas:volt?" into nodes; query flag apart. */
static int split(const char *t, struct node *v, bool pattern, bool *query)
{
	int n = 0;

	*query = false;
	if (*t == ':')
		t++;
	while (*t) {
		bool opt = false;

		if (pattern && *t == '[') {
			opt = true;
			t++;
		}
		if (*t == ':')
			t++;
		if (n == SCPI_NODES_MAX)
			return -1;
		v[n].s = t;
		while (*t && *t != ':' && *t != '[' && *t != ']' && *t != '?')
			t++;
		v[n].n = (size_t)(t - v[n].s);
		v[n].optional = opt;
		if (!v[n].n)
			return -1;
		n++;
		if (pattern && *t == ':' && t[1] == ']') /* "[SOURce:]" */
			t++;
		if (*t == ']')
			t++;
		if (*t == '?') {
			*query = true;
			if (t[1])
				return -1;
			t++;
		}
	}
	return n;
}

static bool match_from(const struct node *h, int nh, const struct node *p, int np)
{
	if (!np)
		return !nh;
	if (p->optional && match_from(h, nh, p + 1, np - 1))
		return true;
	return nh && keyword(h->s, h->n, p->s, p->n) && match_from(h + 1, nh - 1, p + 1, np - 1);
}

bool scpi_match(const char *header, const char *pattern)
{
	struct node h[SCPI_NODES_MAX], p[SCPI_NODES_MAX];
	bool hq, pq;
	int nh = split(header, h, false, &hq), np = split(pattern, p, true, &pq);

	return nh > 0 && np > 0 && hq == pq && match_from(h, nh, p, np);
}

static void common(struct instr *in, const char *h, const char *args)
{
	if (!strcasecmp(h, "*IDN?"))
		scpi_reply(in, "%s", in->idn);
	else if (!strcasecmp(h, "*RST")) {
		in->set_volts = 0;
		in->set_amps = 0.1;
		if (in->output && in->dut_ctrl)
			dut_set_power(in->dut_ctrl, false);
		in->output = false;
	} else if (!strcasecmp(h, "*CLS")) {
		in->n_queue = 0;
		in->esr = 0;
	} else if (!strcasecmp(h, "*ESR?")) {
		scpi_reply(in, "%u", in->esr);
		in->esr = 0;
	} else if (!strcasecmp(h, "*ESE?"))
		scpi_reply(in, "%u", in->ese);
	else if (!strcasecmp(h, "*ESE")) {
		char *end;
		long v = strtol(args, &end, 10);

		if (!*args)
			scpi_error(in, -109, "Missing parameter");
		else if (*end || v < 0 || v > 255)
			scpi_error(in, -222, "Data out of range");
		else
			in->ese = (unsigned)v;
	} else if (!strcasecmp(h, "*OPC?"))
		scpi_reply(in, "1");
	else if (!strcasecmp(h, "*OPC"))
		in->esr |= 1u; /* operations complete at once */
	else if (!strcasecmp(h, "*STB?"))
		scpi_reply(in, "%u", (in->n_queue ? 4u : 0u) | ((in->esr & in->ese) ? 32u : 0u));
	else if (!strcasecmp(h, "*TST?"))
		scpi_reply(in, "0");
	else if (!strcasecmp(h, "*WAI"))
		;
	else
		scpi_error(in, -113, "Undefined header");
}

static void system_cmd(struct instr *in, const char *h, const char *args)
{
	if (scpi_match(h, "SYSTem:ERRor[:NEXT]?")) {
		if (!in->n_queue) {
			scpi_reply(in, "0,\"No error\"");
			return;
		}
		scpi_reply(in, "%d,\"%s\"", in->queue[0].code, in->queue[0].text);
		memmove(in->queue, in->queue + 1, (size_t)(--in->n_queue) * sizeof(in->queue[0]));
	} else if (scpi_match(h, "SYSTem:ERRor:COUNt?")) {
		scpi_reply(in, "%d", in->n_queue);
	} else if (scpi_match(h, "SYSTem:VERSion?")) {
		scpi_reply(in, "1999.0");
	} else {
		scpi_error(in, -113, "Undefined header");
	}
}

static void unit(struct instr *in, char *u)
{
	char *args, *end;
	bool query;

	while (isspace((unsigned char)*u))
		u++;
	end = u + strlen(u);
	while (end > u && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (!*u) {
		scpi_error(in, -102, "Syntax error"); /* an empty unit: ";;" */
		return;
	}
	args = u + strcspn(u, " \t");
	if (*args) {
		*args++ = '\0';
		while (isspace((unsigned char)*args))
			args++;
	}
	for (char *c = u; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr(":*?_", *c)) {
			scpi_error(in, -102, "Syntax error");
			return;
		}
	query = u[strlen(u) - 1] == '?';
	if (query && *args) {
		scpi_error(in, -108, "Parameter not allowed");
		return;
	}
	if (u[0] == '*')
		common(in, u, args);
	else if (scpi_match(u, "SYSTem:ERRor[:NEXT]?") || scpi_match(u, "SYSTem:ERRor:COUNt?") ||
		 scpi_match(u, "SYSTem:VERSion?"))
		system_cmd(in, u, args);
	else if (!(in->kind == KIND_DMM ? dmm_command(in, u, args) : psu_command(in, u, args)))
		scpi_error(in, -113, "Undefined header");
}

void scpi_message(struct instr *in, char *line)
{
	char *u = line;
	bool quoted = false;

	in->out_len = 0;
	in->out[0] = '\0';
	for (char *c = line;; c++) {
		if (*c == '"')
			quoted = !quoted;
		if ((*c == ';' && !quoted) || !*c) {
			bool last = !*c;

			*c = '\0';
			unit(in, u);
			if (last)
				break;
			u = c + 1;
		}
	}
	in->out[in->out_len] = '\0';
}
