/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prompt: ask the operator (or the barcode scanner, which types a line) for a
 * value that must match a pattern.
 *   prompt: {message: "Scan the board serial", var: serial, pattern: '^SIM[0-9]{6}$'}
 * A value already given on the command line (--serial, --var) is checked
 * against the pattern instead of asking.  An answer that does not match (or
 * is not one of the choices) is asked again.  A prompt into ${serial} is
 * asked before the run starts (prompt_serial_first): the unit is known
 * before a line moves.
 *   prompt:
 *     message: "Rework this board?"
 *     var: rework
 *     choices: [yes, no]       # the answer must be one of them
 *     default: no              # taken when no answer comes in the step's time,
 *                              # or at once with no operator input
 *     image: images/rework.png # shown by the operator panel; must be readable
 */
#include <stdlib.h>
#include <string.h>

#include "station/ask.h"
#include "station/steps/steps.h"

#define PROMPT_CHOICES_MAX 16
/* The serial the operator scanned before the run (prompt_serial_first), so
 * that the step logs it as the operator's answer, not as one given on the
 * command line.  A name no ${...} can refer to. */
#define SCANNED_VAR "prompt: serial scanned"

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

/* "yes, no": the choices, for a message. */
static void choice_list(const struct prompt_cfg *c, char *list, size_t cap)
{
	size_t n = 0;

	list[0] = '\0';
	for (int i = 0; i < c->n_choices && n < cap; i++)
		n += (size_t)snprintf(list + n, cap - n, "%s%s", i ? ", " : "", c->choices[i]);
}

static bool answer_ok(void *ctx, const char *answer, char *why, size_t cap)
{
	const struct prompt_cfg *c = ctx;
	char list[256];

	if (c->pattern && rx_match(c->pattern, answer, NULL, 0) < 0) {
		snprintf(why, cap, "'%s' does not match %s: scan again", answer, c->pattern);
		return false;
	}
	if (!is_choice(c, answer)) {
		choice_list(c, list, sizeof(list));
		snprintf(why, cap, "'%.64s' is not one of %s: answer again", answer, list);
		return false;
	}
	return true;
}

/*
 * Ask the operator for c->var until an answer matches (a mis-scan is asked
 * again, never a failed unit).  ST_OK with the answer in answer[cap];
 * otherwise the result says why.
 */
static int ask_operator(const struct prompt_cfg *c, struct run_ctx *rc, struct step_result *r,
			char *answer, size_t cap)
{
	char *msg = rc_expand(rc, r, c->message);
	int ret;

	if (!msg)
		return ST_ERR_ARG;
	ret = ask_line(rc->ask, rc->fxdef->name, msg, answer_ok, (void *)c, answer, cap,
		       rc_remaining_ms(rc), rc->stop);
	free(msg);
	if (ret == ST_ERR_TIMEOUT && c->def)
		return ret;	/* the caller takes the default */
	if (ret == ST_ERR_ABORTED)
		sr_set(r, DB_ABORTED, "no answer to '%s': stopped", c->message);
	else if (ret < 0)
		sr_set(r, DB_ERROR, "no answer to '%s' (%s)", c->message, st_strerror(ret));
	return ret;
}

static void prompt_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct prompt_cfg *c = s->cfg;
	const char *given = vars_get(&rc->vars, c->var);
	char answer[ASK_MAX];

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
		/* given on the command line, or scanned before the run started
		 * (the operator's answer) */
		if (c->pattern && rx_match(c->pattern, given, NULL, 0) < 0) {
			sr_set(r, DB_ERROR, "the value given for %s ('%s') does not match %s: give the "
			       "right one (--var %s=VALUE%s)", c->var, given, c->pattern, c->var,
			       strcmp(c->var, "serial") ? "" : " or --serial");
			return;
		}
		const char *scanned = vars_get(&rc->vars, SCANNED_VAR);

		snprintf(answer, sizeof(answer), "%s", given);
		sr_kv(r, "answer_source", scanned && *scanned && !strcmp(scanned, given) &&
		      !strcmp(c->var, "serial") ? "operator" : "given");
		if (!is_choice(c, answer)) {
			char list[256];

			choice_list(c, list, sizeof(list));
			sr_set(r, DB_FAIL, "'%.64s' is not one of %s: answer again", answer, list);
			return;
		}
	} else if (rc->ask) {
		int ret = ask_operator(c, rc, r, answer, sizeof(answer));

		if (ret == ST_ERR_TIMEOUT && c->def) {
			snprintf(answer, sizeof(answer), "%s", c->def);
			sr_kv(r, "answer_source", "default (no answer in time)");
		} else if (ret < 0) {
			return;	/* r says why */
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
	vars_set(&rc->vars, c->var, answer);
	sr_kv(r, c->var, answer);
	if (!strcmp(c->var, "serial") && rc->db)
		db_run_set_serial(rc->db, rc->run_id, answer, NULL);
}

/* The first prompt into ${serial} in a list (groups and includes too). */
static const struct step *serial_prompt(const struct step_list *sl)
{
	for (int i = 0; i < sl->n; i++) {
		const struct step *st = sl->v[i];
		const struct step *in;

		if (st->kind == &step_prompt && !strcmp(((const struct prompt_cfg *)st->cfg)->var, "serial"))
			return st;
		if ((in = serial_prompt(&st->children)) != NULL)
			return in;
	}
	return NULL;
}

bool prompt_serial_pattern(const struct sequence *seq, const char **pattern)
{
	const struct step *st = serial_prompt(&seq->setup);

	if (!st)
		st = serial_prompt(&seq->steps);
	*pattern = st ? ((const struct prompt_cfg *)st->cfg)->pattern : NULL;
	return st != NULL;
}

int prompt_serial_first(struct run_ctx *rc, char *why, size_t cap)
{
	const struct step *st = serial_prompt(&rc->seq->setup);
	const char *given = vars_get(&rc->vars, "serial");
	struct step_result r = { 0 };
	char answer[ASK_MAX];
	int64_t saved = rc->deadline_us;
	int ret;

	if (!st)
		st = serial_prompt(&rc->seq->steps);
	if (vars_get(&rc->vars, SCANNED_VAR))	/* (a serial of a run before) */
		vars_set(&rc->vars, SCANNED_VAR, "");
	if (!st || (given && *given) || !rc->ask)
		return ST_OK;	/* nothing to scan first, or the step says why */
	rc->deadline_us = now_us() + (int64_t)(st->timeout_s * 1e6);
	ret = ask_operator(st->cfg, rc, &r, answer, sizeof(answer));
	rc->deadline_us = saved;
	if (ret == ST_OK) {
		vars_set(&rc->vars, "serial", answer);
		vars_set(&rc->vars, SCANNED_VAR, answer);
	} else
		snprintf(why, cap, "%s", r.reason);
	sr_reset(&r);
	return ret;
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
