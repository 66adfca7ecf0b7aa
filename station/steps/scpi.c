/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scpi: talk to a bench instrument in SCPI (IEEE 488.2 / SCPI-1999 text
 * messages, newline-terminated) over a raw TCP socket, as LXI instruments
 * serve it on port 5025 ("tcp:HOST:5025"), or over a serial port (port:
 * and baud:, 8N1: the RS-232 settings bench instruments use).
 *   - name: rail 3V3 by the DMM
 *     scpi:
 *       address: ${dmm}                # tcp:HOST:PORT (or port: /dev/ttyUSB1, baud: 9600)
 *       send: ['*CLS', 'CONF:VOLT:DC 10']
 *       query: 'MEAS:VOLT:DC?'          # one number back, judged:
 *       name: rail_3v3_dmm
 *       limit: rail_3v3                 # or low/high/unit, or expect
 * Each step asks *IDN? first (logged as the step value 'idn': which
 * instrument measured the unit), sends the commands, reads the query's
 * answer, then reads the instrument's error queue (SYSTem:ERRor?) until
 * 0,"No error": any error there fails the step, with the codes, so a
 * mistyped command never passes silently.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "link/link.h"
#include "station/steps/steps.h"

#define SCPI_LINE_MAX 512
#define SCPI_SEND_MAX 16
#define SCPI_ERRORS_MAX 16	/* the queue SCPI-1999 21.8 lets an instrument hold */
#define SCPI_OVERLOAD 9.9e37	/* SCPI-1999 Vol 1 7.2.1: "overflow" reading */

#define SCPI_BAUD_DEFAULT 9600	/* the factory setting of most bench instruments' RS-232 */

struct scpi_cfg {
	char *address;		/* tcp:HOST:PORT, or a serial port */
	bool serial;		/* given as port: (with baud) */
	int baud;
	char *send[SCPI_SEND_MAX];
	int n_send;
	char *query;
	struct judge j;
	bool measures;
};

static const char *const scpi_keys[] = { "address", "port", "baud", "send", "query", "name",
					 "unit", "low", "high", "limit", "expect", NULL };

static void scpi_free(void *p)
{
	struct scpi_cfg *c = p;

	free(c->address);
	for (int i = 0; i < c->n_send; i++)
		free(c->send[i]);
	free(c->query);
	judge_free(&c->j);
	free(c);
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Where the instrument is: address (TCP), or port and baud (serial). */
static void parse_where(struct scpi_cfg *c, const struct ynode *n, struct lint *l)
{
	static const int rates[] = { 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 };
	const struct ynode *addr = ynode_get(n, "address"), *port = ynode_get(n, "port");
	const struct ynode *baud = ynode_get(n, "baud");
	double b = SCPI_BAUD_DEFAULT;
	bool known = false;

	c->baud = SCPI_BAUD_DEFAULT;
	if (addr && port)
		lint_err(l, port, "scpi: give 'address' (tcp:HOST:PORT) or 'port' (a serial port), "
			 "not both");
	else if (!addr && !port)
		lint_err(l, n, "scpi: missing 'address' (tcp:HOST:5025) or 'port' (a serial port, "
			 "with baud)");
	c->serial = port && !addr;
	if (lint_str(l, n, c->serial ? "port" : "address", false, &c->address) && c->address)
		lint_vars(l, c->serial ? port : addr, c->address);
	if (c->serial && c->address && !strncmp(c->address, "tcp:", 4))
		lint_err(l, port, "scpi: '%s' is a network address: write it as 'address'",
			 c->address);
	if (!baud)
		return;
	if (!c->serial) {
		lint_err(l, baud, "scpi: 'baud' is the rate of a serial 'port'");
		return;
	}
	if (lint_num(l, n, "baud", false, &b))
		for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
			known |= b == rates[i];
	if (known)
		c->baud = (int)b;
	else
		lint_err(l, baud, "scpi: baud must be one of 1200, 2400, 4800, 9600, 19200, 38400, "
			 "57600, 115200");
}

static int scpi_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	struct scpi_cfg *c = calloc(1, sizeof(*c));
	const struct ynode *send;

	if (!c)
		return ST_ERR_NOMEM;
	s->cfg = c;
	c->j.low = c->j.high = NAN;
	if (!n || n->type != YN_MAP) {
		lint_err(l, n, "scpi: expects a mapping with address, and send and/or query");
		return ST_ERR_PARSE;
	}
	lint_keys(l, n, scpi_keys, "scpi");
	parse_where(c, n, l);
	send = ynode_get(n, "send");
	if (send && (send->type != YN_SEQ || send->n == 0 || send->n > SCPI_SEND_MAX))
		lint_err(l, send, "scpi: 'send' is a list of 1 to %d commands", SCPI_SEND_MAX);
	for (int i = 0; send && send->type == YN_SEQ && i < send->n && i < SCPI_SEND_MAX; i++) {
		const struct ynode *it = send->items[i];

		if (it->type != YN_SCALAR || !it->str[0] || !printable(it->str)) {
			lint_err(l, it, "scpi: a command is one line of text");
			continue;
		}
		if (strchr(it->str, '?'))
			lint_err(l, it, "scpi: '%s' is a query: put it under 'query' (one per step), "
				 "so that its answer is read", it->str);
		lint_vars(l, it, it->str);
		c->send[c->n_send++] = strdup(it->str);
	}
	if (lint_str(l, n, "query", false, &c->query) && c->query) {
		const struct ynode *q = ynode_get(n, "query");

		if (!printable(c->query) || !strchr(c->query, '?') || strchr(c->query, ';'))
			lint_err(l, q, "scpi: 'query' is one query, ending in '?' (e.g. MEAS:VOLT:DC?)");
		lint_vars(l, q, c->query);
		judge_parse(&c->j, s, n, l, "scpi");
		c->measures = true;
	} else {
		static const char *const judged[] = { "name", "unit", "low", "high", "limit",
						      "expect" };

		for (size_t i = 0; i < sizeof(judged) / sizeof(judged[0]); i++)
			if (ynode_get(n, judged[i]))
				lint_err(l, ynode_get(n, judged[i]),
					 "scpi: '%s' judges a query's answer: add 'query'", judged[i]);
		if (!send)
			lint_err(l, n, "scpi: give 'send' (commands) and/or 'query'");
	}
	return ST_OK;
}

/* One response message (a line) within the step's time; bounded. */
static int read_line(struct run_ctx *rc, struct link *lk, char *line, size_t cap,
		     struct st_error *e)
{
	size_t n = 0;

	for (;;) {
		char ch;
		int ret = link_read_some(lk, &ch, 1, rc_remaining_ms(rc), e);

		if (ret < 0)
			return ret;
		if (ret == 0)
			continue;
		if (ch == '\n')
			break;
		if (ch == '\r')
			continue;
		if ((unsigned char)ch < 0x20 || ch == 0x7f)
			return st_fail(e, ST_ERR_PROTO, "the instrument sent a control byte 0x%02x",
				       (unsigned char)ch);
		if (n + 1 >= cap)
			return st_fail(e, ST_ERR_LIMIT, "the instrument's answer is longer than %zu "
				       "bytes", cap - 1);
		line[n++] = ch;
	}
	line[n] = '\0';
	return ST_OK;
}

static int say(struct run_ctx *rc, struct link *lk, const char *cmd, struct st_error *e)
{
	int ret = link_write(lk, cmd, strlen(cmd), rc_remaining_ms(rc), e);

	return ret < 0 ? ret : link_write(lk, "\n", 1, rc_remaining_ms(rc), e);
}

static int ask(struct run_ctx *rc, struct link *lk, const char *q, char *ans, size_t cap,
	       struct step_result *r)
{
	struct st_error e = { 0 };
	int ret = say(rc, lk, q, &e);

	if (ret == ST_OK)
		ret = read_line(rc, lk, ans, cap, &e);
	if (ret < 0)
		sr_set(r, DB_ERROR, "scpi '%s': %s%s", q, e.msg, ret == ST_ERR_TIMEOUT ?
		       " (an undefined query is not answered: see the error queue)" : "");
	return ret;
}

static int error_queue(struct run_ctx *rc, struct link *lk, struct step_result *r);

/* The last ';' of a response message outside a quoted string, or NULL. */
static char *last_unit(char *ans)
{
	char *sep = NULL;
	bool quoted = false;

	for (char *p = ans; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ';' && !quoted)
			sep = p;
	}
	return sep;
}

/*
 * A query and the error queue's head in one program message,
 * "MEAS:VOLT:DC?;:SYST:ERR?": a query the instrument refuses sends no answer
 * of its own (IEEE 488.2 6.3.2.3), but SYST:ERR? always does, so the step
 * learns of the error at once instead of waiting out its timeout.  The
 * answer is "<value>;0,\"No error\"" or just the error.
 */
static int query(struct run_ctx *rc, struct link *lk, const char *q, char *ans, size_t cap,
		 struct step_result *r)
{
	char msg[SCPI_LINE_MAX], *sep;
	int ret;

	snprintf(msg, sizeof(msg), "%s;:SYST:ERR?", q);
	ret = ask(rc, lk, msg, ans, cap, r);
	if (ret < 0)
		return ret;
	sep = last_unit(ans);
	if (!sep) {
		/* the query failed: what is left is its error; the rest of the
		 * queue follows (error_queue) */
		char first[SCPI_LINE_MAX], more[ST_ERRMSG_MAX];

		snprintf(first, sizeof(first), "%s", ans);
		ret = error_queue(rc, lk, r);
		if (ret != ST_OK && ret != ST_ERR_FAIL)
			return ret;
		snprintf(more, sizeof(more), "%s", ret == ST_ERR_FAIL ? r->reason : "");
		sr_set(r, DB_FAIL, "the instrument refused '%s': %.200s%s%.300s", q, first,
		       more[0] ? "; and " : "", more);
		return ST_ERR_FAIL;
	}
	*sep = '\0';
	if (strtol(sep + 1, NULL, 10) != 0) {
		sr_set(r, DB_FAIL, "the instrument reports an error after '%s': %.300s", q, sep + 1);
		return ST_ERR_FAIL;
	}
	return ST_OK;
}

/* SYSTem:ERRor? until 0: every error named in the reason. */
static int error_queue(struct run_ctx *rc, struct link *lk, struct step_result *r)
{
	char ans[SCPI_LINE_MAX], errs[512] = "";
	size_t len = 0;
	int n = 0, ret;

	for (int i = 0; i < SCPI_ERRORS_MAX; i++) {
		ret = ask(rc, lk, "SYST:ERR?", ans, sizeof(ans), r);
		if (ret < 0)
			return ret;
		if (strtol(ans, NULL, 10) == 0 && ans[0] != '-')
			break;
		len += (size_t)snprintf(errs + len, len < sizeof(errs) ? sizeof(errs) - len : 0,
					"%s%s", n++ ? "; " : "", ans);
	}
	if (!n)
		return ST_OK;
	sr_set(r, DB_FAIL, "the instrument reports %d error%s: %.400s", n, n == 1 ? "" : "s",
	       errs);
	return ST_ERR_FAIL;
}

/* Every failure says why in r (the verdict); the value only steers. */
static int scpi_talk(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct scpi_cfg *c = s->cfg;
	char *addr = rc_expand(rc, r, c->address), ans[SCPI_LINE_MAX];
	struct st_error e = { 0 };
	struct link *lk = NULL;
	struct link_opts o;
	int ret;

	if (!addr)
		return ST_ERR_ARG;
	link_opts_default(&o);
	o.baud = c->baud;
	ret = link_open(&lk, addr, c->serial ? &o : NULL, &e);
	if (ret < 0) {
		sr_set(r, DB_ERROR, "scpi: cannot reach the instrument at %s: %s", addr, e.msg);
		goto out;
	}
	/* a serial line keeps what a step before left unread: a late answer
	 * must not be read as this step's */
	if (c->serial)
		link_flush_input(lk);
	/* which instrument measured this unit */
	ret = ask(rc, lk, "*IDN?", ans, sizeof(ans), r);
	if (ret == ST_ERR_TIMEOUT && c->serial)
		sr_set(r, DB_ERROR, "scpi: no answer to *IDN? from %s at %d baud 8N1: check the "
		       "instrument's serial settings (its rate) and the cable", addr, c->baud);
	if (ret < 0)
		goto out;
	sr_kv(r, "idn", ans);
	sr_kv(r, "address", addr);
	if (c->serial) {
		char rate[16];

		snprintf(rate, sizeof(rate), "%d", c->baud);
		sr_kv(r, "baud", rate);
	}
	for (int i = 0; i < c->n_send && ret == ST_OK; i++) {
		char *cmd = rc_expand(rc, r, c->send[i]);

		if (!cmd) {
			ret = ST_ERR_ARG;
			break;
		}
		ret = say(rc, lk, cmd, &e);
		if (ret < 0)
			sr_set(r, DB_ERROR, "scpi '%s': %s", cmd, e.msg);
		free(cmd);
	}
	if (ret == ST_OK && c->query) {
		char *q = rc_expand(rc, r, c->query);

		ret = q ? query(rc, lk, q, ans, sizeof(ans), r) : ST_ERR_ARG;
		free(q);
	}
	/* errors first: a reading after a refused CONFigure is not trusted */
	if (ret == ST_OK)
		ret = error_queue(rc, lk, r);
	if (ret == ST_OK && c->measures) {
		char *end;
		double v = strtod(ans, &end);

		if (end != ans && !*end && fabs(v) >= SCPI_OVERLOAD) {
			sr_set(r, DB_FAIL, "%s: the instrument reads overload (%s)", c->j.name, ans);
			ret = ST_ERR_FAIL;
		} else {
			ret = judge_value(&c->j, rc, r, ans);
		}
	}
out:
	link_close(lk);
	free(addr);
	return ret;
}

static void scpi_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	scpi_talk(s, rc, r);
}

static void scpi_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	const struct scpi_cfg *c = s->cfg;
	struct step_result r = { 0 };
	char *addr = rc_expand(rc, &r, c->address);

	fprintf(out, "      instrument %s", addr ? addr : c->address);
	if (c->serial)
		fprintf(out, " at %d baud 8N1", c->baud);
	fprintf(out, ": *IDN?");
	for (int i = 0; i < c->n_send; i++)
		fprintf(out, ", '%s'", c->send[i]);
	if (c->query) {
		fprintf(out, ", read '%s' as %s", c->query, c->j.name);
		judge_plan(&c->j, rc, out);
	} else {
		fprintf(out, "; then SYST:ERR? must be empty\n");
	}
	if (!addr) {
		fprintf(out, "      PROBLEM: %s\n", r.reason);
		rc->plan_problems++;
	}
	free(addr);
	sr_reset(&r);
}

const struct step_kind step_scpi = {
	.name = "scpi",
	.summary = "send SCPI commands to a bench instrument (raw TCP port 5025 or serial), read and judge a number",
	.default_timeout_s = 10,
	.parse = scpi_parse,
	.run = scpi_run,
	.plan = scpi_plan,
	.free_cfg = scpi_free,
};
