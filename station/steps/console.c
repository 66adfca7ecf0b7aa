/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console: send a command to the firmware's line console, check the answer
 * against a regex and capture values into variables.
 *   console:
 *     command: version
 *     expect: '^diag [0-9.]+$'
 *     capture: {diag.version: '^diag ([0-9.]+)$'}
 *   console: {wait: 'diag .* ready'}      # wait for a banner line
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "link/console.h"
#include "station/steps/steps.h"

#define CONSOLE_RESP_MAX 16384

struct console_cfg {
	char *command;
	char *wait;
	char *expect;
	struct captures cap;
};

static const char *const console_keys[] = { "command", "wait", "expect", "capture", NULL };

static void console_free(void *p)
{
	struct console_cfg *c = p;

	free(c->command);
	free(c->wait);
	free(c->expect);
	captures_free(&c->cap);
	free(c);
}

static int console_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	struct console_cfg *c = calloc(1, sizeof(*c));

	if (!c)
		return ST_ERR_NOMEM;
	s->cfg = c;
	if (n && n->type == YN_SCALAR) { /* console: version */
		c->command = strdup(n->str);
		lint_vars(l, n, n->str);
		return ST_OK;
	}
	if (!n || n->type != YN_MAP) {
		lint_err(l, n, "console: expects a command, or a mapping with command/wait/expect/capture");
		return ST_ERR_PARSE;
	}
	lint_keys(l, n, console_keys, "console");
	lint_str(l, n, "command", false, &c->command);
	lint_str(l, n, "wait", false, &c->wait);
	lint_str(l, n, "expect", false, &c->expect);
	if (!c->command && !c->wait)
		lint_err(l, n, "console: needs a 'command' to send or a 'wait' pattern");
	if (c->command)
		lint_vars(l, ynode_get(n, "command"), c->command);
	if (c->wait)
		lint_regex(l, ynode_get(n, "wait"), c->wait, NULL);
	if (c->expect)
		lint_regex(l, ynode_get(n, "expect"), c->expect, NULL);
	return captures_parse(&c->cap, ynode_get(n, "capture"), l);
}

/* Match re against text; copy group 1 (if any) to val. */
int rx_match(const char *re, const char *text, char *val, size_t cap)
{
	regex_t rx;
	regmatch_t m[2];
	int ret;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE))
		return ST_ERR_ARG;
	ret = regexec(&rx, text, 2, m, 0);
	regfree(&rx);
	if (ret)
		return ST_ERR_NOTFOUND;
	if (val && cap) {
		size_t len = 0;

		if (m[1].rm_so >= 0) {
			len = (size_t)(m[1].rm_eo - m[1].rm_so);
			if (len >= cap)
				len = cap - 1;
			memcpy(val, text + m[1].rm_so, len);
		}
		val[len] = '\0';
	}
	return ST_OK;
}

int rc_console(struct run_ctx *rc, struct step_result *r, const char *cmd, char *resp,
	       size_t cap)
{
	struct st_error e = { 0 };
	struct link *l;
	int ret;

	ret = rc_link(rc, &l, &e);
	if (ret < 0) {
		sr_set(r, DB_ERROR, "cannot open the console %s: %s", rc->fxdef->port, e.msg);
		return ret;
	}
	ret = console_cmd(l, cmd, resp, cap, rc_remaining_ms(rc), &e);
	if (ret == ST_ERR_FAIL)
		sr_set(r, DB_FAIL, "'%s' answered ERR %s", cmd, e.msg);
	else if (ret < 0)
		sr_set(r, rc_outcome_of(ret), "'%s': %s", cmd, e.msg);
	return ret;
}

static void console_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct console_cfg *c = s->cfg;
	char *resp = malloc(CONSOLE_RESP_MAX), *cmd = NULL;

	if (!resp) {
		sr_set(r, DB_ERROR, "out of memory");
		return;
	}
	resp[0] = '\0';
	if (c->wait) {
		struct st_error e = { 0 };
		struct link *l;
		int ret = rc_link(rc, &l, &e);

		if (ret < 0) {
			/* the station's side: a cable, a serial server */
			sr_set(r, DB_ERROR, "cannot open the console %s: %s", rc->fxdef->port, e.msg);
			goto out;
		}
		ret = console_wait_line(l, c->wait, resp, CONSOLE_RESP_MAX, rc_remaining_ms(rc), &e);
		if (ret < 0) {
			/* a board that does not say it is the board's; a line lost is not */
			sr_set(r, rc_outcome_of(ret), "waiting for '%s': %s",
			       c->wait, e.msg);
			goto out;
		}
	}
	if (c->command) {
		/* on failure either one has said why in r */
		cmd = rc_expand(rc, r, c->command);
		if (!cmd || rc_console(rc, r, cmd, resp, CONSOLE_RESP_MAX) < 0)
			goto out;
	}
	sr_kv(r, "response", resp);
	if (c->expect && rx_match(c->expect, resp, NULL, 0) < 0) {
		sr_set(r, DB_FAIL, "response to '%s' does not match '%s': got '%.200s'",
		       cmd ? cmd : c->wait, c->expect, resp);
		goto out;
	}
	captures_apply(&c->cap, rc, r, resp, "response");
out:
	free(cmd);
	free(resp);
}

static void console_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	const struct console_cfg *c = s->cfg;

	(void)rc;
	if (c->wait)
		fprintf(out, "      wait for a line matching '%s'\n", c->wait);
	if (c->command)
		fprintf(out, "      send '%s'%s%s%s\n", c->command, c->expect ? ", expect '" : "",
			c->expect ? c->expect : "", c->expect ? "'" : "");
	captures_plan(&c->cap, out);
}

const struct step_kind step_console = {
	.name = "console",
	.summary = "send a console command, check the answer (regex), capture values",
	.default_timeout_s = 10,
	.parse = console_parse,
	.run = console_run,
	.plan = console_plan,
	.free_cfg = console_free,
};
