/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prompt: ask the operator (or the barcode scanner, which types a line) for a
 * value that must match a pattern.
 *   prompt: {message: "Scan the board serial", var: serial, pattern: '^SIM[0-9]{6}$'}
 * A value already given on the command line (--serial, --var) is checked
 * against the pattern instead of asking.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "station/steps/steps.h"

struct prompt_cfg {
	char *message;
	char *var;
	char *pattern;
};

static const char *const prompt_keys[] = { "message", "var", "pattern", NULL };

static void prompt_free(void *p)
{
	struct prompt_cfg *c = p;

	free(c->message);
	free(c->var);
	free(c->pattern);
	free(c);
}

static int prompt_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	struct prompt_cfg *c = calloc(1, sizeof(*c));

	if (!c)
		return ST_ERR_NOMEM;
	s->cfg = c;
	if (!n || n->type != YN_MAP) {
		lint_err(l, n, "prompt: expects a mapping with message and var");
		return ST_ERR_PARSE;
	}
	lint_keys(l, n, prompt_keys, "prompt");
	if (lint_str(l, n, "message", true, &c->message) && c->message)
		lint_vars(l, ynode_get(n, "message"), c->message);
	lint_str(l, n, "var", true, &c->var);
	if (lint_str(l, n, "pattern", false, &c->pattern) && c->pattern)
		lint_regex(l, ynode_get(n, "pattern"), c->pattern, NULL);
	/* the serial is what a prompt is for; other run names are not */
	if (c->var && !strcmp(c->var, "serial"))
		lint_define(l, c->var);
	else if (c->var)
		lint_capture(l, ynode_get(n, "var"), c->var, "prompt variable");
	return ST_OK;
}

/* One line from fd within timeout_ms, bounded. */
static int read_answer(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t len = 0;

	while (len + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return ST_ERR_TIMEOUT;
		n = read(fd, buf + len, 1);
		if (n <= 0)
			return ST_ERR_CLOSED;
		if (buf[len] == '\n')
			break;
		if (buf[len] != '\r')
			len++;
	}
	buf[len] = '\0';
	return ST_OK;
}

static void prompt_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct prompt_cfg *c = s->cfg;
	const char *given = vars_get(&rc->vars, c->var);
	char answer[256];
	int ret;

	if (given && *given) {
		snprintf(answer, sizeof(answer), "%s", given);
	} else if (rc->answers) {
		char *msg = rc_expand(rc, r, c->message);

		if (!msg)
			return;	/* rc_expand said why */
		fprintf(stderr, "[%s] %s: ", rc->fxdef->name, msg);
		free(msg);
		ret = read_answer(fileno(rc->answers), answer, sizeof(answer), rc_remaining_ms(rc));
		if (ret < 0) {
			sr_set(r, DB_ERROR, "no answer to '%s' (%s)", c->message, st_strerror(ret));
			return;
		}
	} else {
		sr_set(r, DB_ERROR, "'%s': no operator input here; give the value with --var %s=VALUE%s",
		       c->message, c->var, strcmp(c->var, "serial") ? "" : " or --serial");
		return;
	}
	if (c->pattern && rx_match(c->pattern, answer, NULL, 0) < 0) {
		sr_set(r, DB_FAIL, "'%s' does not match %s: scan again", answer, c->pattern);
		return;
	}
	vars_set(&rc->vars, c->var, answer);
	sr_kv(r, c->var, answer);
	if (!strcmp(c->var, "serial") && rc->db)
		db_run_set_serial(rc->db, rc->run_id, answer, NULL);
}

static void prompt_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	const struct prompt_cfg *c = s->cfg;

	(void)rc;
	fprintf(out, "      ask '%s' -> ${%s}%s%s\n", c->message, c->var,
		c->pattern ? " matching " : "", c->pattern ? c->pattern : "");
}

const struct step_kind step_prompt = {
	.name = "prompt",
	.summary = "ask the operator or a scanner for a value matching a pattern",
	.default_timeout_s = 300,
	.parse = prompt_parse,
	.run = prompt_run,
	.plan = prompt_plan,
	.free_cfg = prompt_free,
};
