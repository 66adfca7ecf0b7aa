/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prompt: ask the operator (or the barcode scanner, which types a line) for a
 * value that must match a pattern.
 *   prompt: {message: "Scan the board serial", var: serial, pattern: '^SIM[0-9]{6}$'}
 * A value already given on the command line (--serial, --var) is checked
 * against the pattern instead of asking.
 *   prompt:
 *     message: "Rework this board?"
 *     var: rework
 *     choices: [yes, no]       # the answer must be one of them
 *     default: no              # taken when no answer comes in the step's time,
 *                              # or at once with no operator input
 *     image: images/rework.png # shown by the operator panel; must be readable
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "station/steps/steps.h"

#define PROMPT_CHOICES_MAX 16

struct prompt_cfg {
	char *message;
	char *var;
	char *pattern;
	char *choices[PROMPT_CHOICES_MAX];
	int n_choices;
	char *def;
	char *image;
};

static const char *const prompt_keys[] = { "message", "var", "pattern", "choices", "default",
					   "image", NULL };

static void prompt_free(void *p)
{
	struct prompt_cfg *c = p;

	free(c->message);
	free(c->var);
	free(c->pattern);
	for (int i = 0; i < c->n_choices; i++)
		free(c->choices[i]);
	free(c->def);
	free(c->image);
	free(c);
}

static bool is_choice(const struct prompt_cfg *c, const char *a)
{
	for (int i = 0; i < c->n_choices; i++)
		if (!strcmp(c->choices[i], a))
			return true;
	return !c->n_choices;
}

static void parse_choices(struct prompt_cfg *c, const struct ynode *n, struct lint *l)
{
	const struct ynode *ch = ynode_get(n, "choices");

	if (ch && (ch->type != YN_SEQ || ch->n < 2 || ch->n > PROMPT_CHOICES_MAX))
		lint_err(l, ch, "prompt: 'choices' is a list of 2 to %d answers", PROMPT_CHOICES_MAX);
	else if (ch && c->pattern)
		lint_err(l, ch, "prompt: 'choices' or 'pattern', not both");
	for (int i = 0; ch && ch->type == YN_SEQ && i < ch->n && i < PROMPT_CHOICES_MAX; i++) {
		if (ch->items[i]->type != YN_SCALAR || !ch->items[i]->str[0]) {
			lint_err(l, ch->items[i], "prompt: each choice is a word or text");
			continue;
		}
		if (is_choice(c, ch->items[i]->str) && c->n_choices)
			lint_err(l, ch->items[i], "prompt: '%s' is a choice twice", ch->items[i]->str);
		c->choices[c->n_choices++] = strdup(ch->items[i]->str);
	}
	if (lint_str(l, n, "default", false, &c->def) && c->def) {
		if (!is_choice(c, c->def))
			lint_err(l, ynode_get(n, "default"), "prompt: the default '%s' is not one of "
				 "the choices", c->def);
		if (c->pattern && rx_match(c->pattern, c->def, NULL, 0) < 0)
			lint_err(l, ynode_get(n, "default"), "prompt: the default '%s' does not "
				 "match the pattern", c->def);
	}
	if (lint_str(l, n, "image", false, &c->image) && c->image) {
		lint_vars(l, ynode_get(n, "image"), c->image);
		lint_file(l, ynode_get(n, "image"), c->image);
	}
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
	parse_choices(c, n, l);
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

	if (c->image) {
		char *img = rc_expand(rc, r, c->image), *full;

		if (!img)
			return;	/* rc_expand said why */
		full = seq_resolve_path(s->file, img);
		sr_kv(r, "image", full ? full : img);
		free(full);
		free(img);
	}
	if (given && *given) {
		snprintf(answer, sizeof(answer), "%s", given);
		sr_kv(r, "answer_source", "given");
	} else if (rc->answers) {
		char *msg = rc_expand(rc, r, c->message);

		if (!msg)
			return;	/* rc_expand said why */
		fprintf(stderr, "[%s] %s", rc->fxdef->name, msg);
		for (int i = 0; i < c->n_choices; i++)
			fprintf(stderr, "%s%s", i ? "/" : " [", c->choices[i]);
		fprintf(stderr, "%s%s%s: ", c->n_choices ? "]" : "", c->def ? " default " : "",
			c->def ? c->def : "");
		free(msg);
		ret = read_answer(fileno(rc->answers), answer, sizeof(answer), rc_remaining_ms(rc));
		if (ret == ST_ERR_TIMEOUT && c->def) {
			snprintf(answer, sizeof(answer), "%s", c->def);
			sr_kv(r, "answer_source", "default (no answer in time)");
		} else if (ret < 0) {
			sr_set(r, DB_ERROR, "no answer to '%s' (%s)", c->message, st_strerror(ret));
			return;
		} else {
			sr_kv(r, "answer_source", "operator");
		}
	} else if (c->def) {
		snprintf(answer, sizeof(answer), "%s", c->def);
		sr_kv(r, "answer_source", "default (no operator input)");
	} else {
		sr_set(r, DB_ERROR, "'%s': no operator input here; give the value with --var %s=VALUE%s",
		       c->message, c->var, strcmp(c->var, "serial") ? "" : " or --serial");
		return;
	}
	if (c->pattern && rx_match(c->pattern, answer, NULL, 0) < 0) {
		sr_set(r, DB_FAIL, "'%s' does not match %s: scan again", answer, c->pattern);
		return;
	}
	if (!is_choice(c, answer)) {
		char list[256] = "";
		size_t n = 0;

		for (int i = 0; i < c->n_choices && n < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
					      c->choices[i]);
		sr_set(r, DB_FAIL, "'%.64s' is not one of %s: answer again", answer, list);
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
	fprintf(out, "      ask '%s' -> ${%s}%s%s", c->message, c->var,
		c->pattern ? " matching " : "", c->pattern ? c->pattern : "");
	for (int i = 0; i < c->n_choices; i++)
		fprintf(out, "%s%s", i ? "/" : ", one of ", c->choices[i]);
	if (c->def)
		fprintf(out, ", default %s", c->def);
	if (c->image)
		fprintf(out, ", image %s", c->image);
	fputc('\n', out);
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
