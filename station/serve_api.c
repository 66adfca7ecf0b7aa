/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The routes of station serve (docs/api.md).  Every answer is JSON; every
 * error is {"error": {"status", "message"}} with a status that means
 * something: 400 a body that is not the JSON asked for, 404 no such
 * fixture/run/unit/route, 405 a method the route does not take, 409 the
 * fixture is busy (or has nothing to stop), 413 a body too large (web/),
 * 422 a serial the sequence's pattern refuses, 503 the log or the fixture
 * cannot serve.  Every request that changes state is logged (stderr and
 * the log's events) with who asked: the client's address and the operator.
 */
#define LOG_PREFIX "serve"
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/text.h"
#include "report/report.h"
#include "station/mes_sync.h"
#include "station/panel.h"
#include "station/serve.h"
#include "station/steps/steps.h"

#define API "/api/v1"
/* A start waits for its run to begin: at once, unless the fixture's thread
 * still sends the last result to the MES (bounded by mes: timeout and
 * attempts) or the log is busy; longer than the log's own bound on a busy
 * wait, so a log that cannot take the run answers 503, not 202. */
#define START_WAIT_MS 30000
#define FIELD_MAX (SLOT_TEXT - 1)

/* ---- answers ------------------------------------------------------------- */

typedef void (*json_fn)(FILE *f, void *arg);

static void reply_json(struct web_req *r, int status, json_fn fn, void *arg)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);

	if (!f) {
		web_error(r, 503, "out of memory: try again");
		return;
	}
	fn(f, arg);
	fputc('\n', f);
	if (fclose(f) != 0) {
		free(body);
		web_error(r, 503, "out of memory: try again");
		return;
	}
	web_reply(r, status, "application/json", body, len);
	free(body);
}

static void kv_str(FILE *f, const char *key, const char *value, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", key);
	web_json_str(f, value && *value ? value : NULL);
}

static void fixture_json(FILE *f, const struct slot_view *v)
{
	fputc('{', f);
	kv_str(f, "name", v->name, false);
	kv_str(f, "state", v->state, true);
	kv_str(f, "serial", v->serial, true);
	kv_str(f, "run_id", v->run_id, true);
	kv_str(f, "step", v->step, true);
	fprintf(f, ",\"step_index\":%d,\"done\":%llu,\"total\":%llu,\"elapsed_s\":%.1f",
		v->step_index, (unsigned long long)v->done, (unsigned long long)v->total,
		v->elapsed_s);
	kv_str(f, "failed_step", v->failed_step, true);
	kv_str(f, "reason", v->reason, true);
	kv_str(f, "operator", v->operator_name, true);
	kv_str(f, "work_order", v->work_order, true);
	fprintf(f, ",\"lamp\":{\"pass\":%s,\"fail\":%s},\"last\":[",
		v->lamp_pass ? "true" : "false", v->lamp_fail ? "true" : "false");
	for (int i = 0; i < v->n_last; i++) {
		fputs(i ? ",{" : "{", f);
		kv_str(f, "serial", v->last[i].serial, false);
		kv_str(f, "run_id", v->last[i].run_id, true);
		kv_str(f, "verdict", v->last[i].verdict, true);
		fputc('}', f);
	}
	fputs("]}", f);
}

static void fixtures_json(FILE *f, void *arg)
{
	struct serve_ctx *c = arg;
	struct slot_view *v = malloc(sizeof(*v));
	uint64_t events;
	int streams;

	fputc('{', f);
	kv_str(f, "station", c->f->cfg.station, false);
	kv_str(f, "sequence", c->f->seq->name, true);
	kv_str(f, "sequence_version", c->f->seq->version, true);
	hub_counts(c->hub, &streams, &events);
	fprintf(f, ",\"streams\":%d,\"events\":%llu", streams, (unsigned long long)events);
	fprintf(f, ",\"serial_required\":%s", c->serial_prompted ? "true" : "false");
	kv_str(f, "serial_pattern", c->serial_pattern, true);
	fputs(",\"fixtures\":[", f);
	for (int i = 0; v && i < slots_count(c->slots); i++) {
		slots_view(c->slots, i, v);
		if (i)
			fputc(',', f);
		fixture_json(f, v);
	}
	fputs("]}", f);
	free(v);
}

struct one {
	struct serve_ctx *c;
	int i;
	const char *run_id;
};

static void one_json(FILE *f, void *arg)
{
	struct one *o = arg;
	struct slot_view *v = malloc(sizeof(*v));

	if (!v) {
		fputs("{}", f);
		return;
	}
	slots_view(o->c->slots, o->i, v);
	fixture_json(f, v);
	free(v);
}

static void started_json(FILE *f, void *arg)
{
	struct one *o = arg;

	fputc('{', f);
	kv_str(f, "fixture", o->c->f->t[o->i].def.name, false);
	kv_str(f, "run_id", o->run_id, true);
	fputs(",\"state\":\"", f);
	fputs(o->run_id[0] ? "running\"" : "starting\"", f);
	fputc('}', f);
}

/* A report writer's document (report_run, report_trace) as the answer. */
static void reply_report(struct web_req *r, struct serve_ctx *c, const char *key,
			 int (*fn)(FILE *, const struct db_reader *, const char *,
				   struct st_error *))
{
	struct st_error e = { 0 };
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int ret;

	if (!f) {
		web_error(r, 503, "out of memory: try again");
		return;
	}
	ret = fn(f, db_reader(c->db), key, &e);
	fclose(f);
	if (ret == ST_ERR_NOTFOUND)
		web_error(r, 404, "%s", e.msg);
	else if (ret < 0)
		web_error(r, 503, "the log cannot answer now: %s", e.msg);
	else
		web_reply(r, 200, "application/json", body, len);
	free(body);
}

static int report_unit(FILE *f, const struct db_reader *rd, const char *serial,
		       struct st_error *e)
{
	return report_trace(f, rd, serial, "json", e);
}

/* ---- requests that change state --------------------------------------------- */

/* Who asked, for the log: the client, and the operator the body names. */
static void who(const struct web_req *r, const char *operator_name, char *out, size_t cap)
{
	char op[SLOT_TEXT];

	st_text_show(op, sizeof(op), operator_name ? operator_name : "");
	snprintf(out, cap, "%s%s%s", r->peer, op[0] ? " operator " : "", op);
}

/* A request that changed state, on stderr whatever the log level: the
 * record of who asked (the log's events hold it too). */
static void said(const char *fixture, const char *detail, const char *run_id)
{
	fprintf(stderr, "station serve: %s: %s%s%s%s\n", fixture, detail,
		run_id ? " (run " : "", run_id ? (run_id[0] ? run_id : "starting") : "",
		run_id ? ")" : "");
}

static int add_var(void *ctx, const char *name, const char *value, struct st_error *e)
{
	struct slot_start *st = ctx;
	const char *refused = config_var_refused(name);
	char *nv;

	if (!vars_name_valid(name, strlen(name)))
		return st_fail(e, ST_ERR_PARSE, "vars: '%s' is not a variable name (letters, "
			       "digits, '_', '-', '.')", name);
	if (refused)
		return st_fail(e, ST_ERR_PARSE, "vars: %s", refused);
	if (st->n_vars == FLEET_MAX_VARS)
		return st_fail(e, ST_ERR_PARSE, "vars: at most %d", FLEET_MAX_VARS);
	if (asprintf(&nv, "%s=%s", name, value) < 0)
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	st->vars[st->n_vars++] = nv;
	return ST_OK;
}

/* The start request's body into st: ST_OK, or e says what is wrong. */
static int parse_start(const struct web_req *r, struct slot_start *st, struct st_error *e)
{
	static const char *const known[] = { "serial", "operator", "work_order", "part_number",
					     "revision", "vars", NULL };
	static const struct { const char *key; size_t off; } fields[] = {
		{ "serial", offsetof(struct slot_start, serial) },
		{ "operator", offsetof(struct slot_start, operator_name) },
		{ "work_order", offsetof(struct slot_start, work_order) },
		{ "part_number", offsetof(struct slot_start, part_number) },
		{ "revision", offsetof(struct slot_start, revision) },
	};
	struct web_json *j = NULL;
	const char *unknown, *v;
	int ret = web_json_parse(&j, r->body, r->body_len, e);

	for (size_t i = 0; ret == ST_OK && i < sizeof(fields) / sizeof(fields[0]); i++) {
		ret = web_json_get_str(j, fields[i].key, FIELD_MAX, &v, e);
		if (ret == ST_OK && v)
			snprintf((char *)st + fields[i].off, SLOT_TEXT, "%s", v);
	}
	if (ret == ST_OK && web_json_unknown(j, known, &unknown))
		ret = st_fail(e, ST_ERR_PARSE, "unknown field '%.64s' (known: serial, operator, "
			      "work_order, part_number, revision, vars)", unknown);
	if (ret == ST_OK)
		ret = web_json_each_str(j, "vars", FIELD_MAX, add_var, st, e);
	web_json_free(j);
	return ret;
}

/* mes: precheck: may this serial be tested here?  Asked before the start is
 * queued, so a refused unit never moves a line (and the request hears why at
 * once).  false: answered (403 with the MES's reason, 422 no serial, 503 when
 * the MES does not answer). */
static bool mes_allows(struct web_req *r, struct serve_ctx *c, int i,
		       const struct slot_start *st, const char *asker)
{
	const struct mes_unit u = {
		.serial = st->serial, .station = c->f->cfg.station, .fixture = c->f->t[i].def.name,
		.operator_name = st->operator_name[0] ? st->operator_name : NULL,
		.work_order = st->work_order[0] ? st->work_order : NULL,
		.part_number = st->part_number[0] ? st->part_number : NULL,
		.revision = st->revision[0] ? st->revision : NULL,
	};
	char why[ST_ERRMSG_MAX + MES_REASON_MAX * 2];
	int ret = mes_gate(c->db, &c->f->cfg.mes, &u, asker, why, sizeof(why));

	if (ret == ST_OK)
		return true;
	web_error(r, ret == ST_ERR_FAIL ? 403 : ret == ST_ERR_ARG ? 422 : 503, "%s", why);
	return false;
}

static void start(struct web_req *r, struct serve_ctx *c, int i)
{
	struct slot_start *st = calloc(1, sizeof(*st));
	struct st_error e = { 0 };
	char run_id[DB_ID_LEN], asker[2 * SLOT_TEXT], detail[4 * SLOT_TEXT];
	const char *name = c->f->t[i].def.name;
	int ret;

	if (!st) {
		web_error(r, 503, "out of memory: try again");
		return;
	}
	ret = parse_start(r, st, &e);
	who(r, st->operator_name, asker, sizeof(asker));
	if (ret < 0) {
		web_error(r, ret == ST_ERR_NOMEM ? 503 : 400, "%s", e.msg);
	} else if (c->serial_prompted && !st->serial[0]) {
		web_error(r, 422, "this sequence scans a serial: give \"serial\"%s%s",
			  c->serial_pattern ? " matching " : "",
			  c->serial_pattern ? c->serial_pattern : "");
	} else if (st->serial[0] && c->serial_pattern &&
		   rx_match(c->serial_pattern, st->serial, NULL, 0) < 0) {
		char shown[SLOT_TEXT];

		st_text_show(shown, sizeof(shown), st->serial);
		log_info("%s: start on %s refused: serial '%s' does not match %s", asker, name,
			 shown, c->serial_pattern);
		web_error(r, 422, "serial '%s' does not match %s: scan again", shown,
			  c->serial_pattern);
	} else if (!mes_allows(r, c, i, st, asker)) {
		/* answered: the MES refused, or did not answer */
	} else {
		snprintf(st->who, sizeof(st->who), "%.255s", asker);
		ret = slots_start(c->slots, i, st, START_WAIT_MS, run_id, &e);
		if (ret == ST_ERR_BUSY) {
			web_error(r, 409, "%s", e.msg);
		} else if (ret < 0) {
			web_error(r, 503, "%s", e.msg);
		} else {
			struct one o = { c, i, run_id };

			snprintf(detail, sizeof(detail), "start by %s", asker);
			said(name, detail, run_id);
			db_event(c->db, run_id[0] ? run_id : NULL, name, "api", detail, NULL);
			reply_json(r, run_id[0] ? 201 : 202, started_json, &o);
		}
	}
	for (int k = 0; k < st->n_vars; k++)
		free(st->vars[k]);
	free(st);
}

static void stop(struct web_req *r, struct serve_ctx *c, int i)
{
	struct st_error e = { 0 };
	char asker[2 * SLOT_TEXT], detail[3 * SLOT_TEXT];
	const char *name = c->f->t[i].def.name;
	struct one o = { c, i, "" };

	who(r, NULL, asker, sizeof(asker));
	if (slots_stop(c->slots, i, &e) < 0) {
		web_error(r, 409, "%s", e.msg);
		return;
	}
	snprintf(detail, sizeof(detail), "stop by %s", asker);
	said(name, detail, NULL);
	db_event(c->db, NULL, name, "api", detail, NULL);
	reply_json(r, 202, one_json, &o);
}

/* ---- routing ---------------------------------------------------------------------- */

static bool is(const struct web_req *r, const char *method)
{
	return !strcmp(r->method, method);
}

static void events(struct web_req *r, struct serve_ctx *c)
{
	const char *last = web_header(r, "Last-Event-ID");
	struct hub_sub *sub = hub_subscribe(c->hub, last);

	if (!sub) {
		web_error(r, 503, "out of memory: try again");
		return;
	}
	web_stream(r, "text/event-stream", hub_pull, hub_unsubscribe, sub);
}

/* /api/v1/fixtures/NAME[/ACTION] */
static void fixture_route(struct web_req *r, struct serve_ctx *c, const char *rest)
{
	const char *slash = strchr(rest, '/');
	char name[FX_NAME_MAX];
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	int i;

	if (n >= sizeof(name)) {
		web_error(r, 404, "no such fixture");
		return;
	}
	memcpy(name, rest, n);
	name[n] = '\0';
	i = slots_find(c->slots, name);
	if (i < 0) {
		char shown[FX_NAME_MAX * 4];

		st_text_show(shown, sizeof(shown), name);
		web_error(r, 404, "no fixture '%s' on this station (GET " API "/fixtures lists them)",
			  shown);
	} else if (!slash && is(r, "GET")) {
		reply_json(r, 200, one_json, &(struct one){ c, i, "" });
	} else if (slash && !strcmp(slash, "/start") && is(r, "POST")) {
		start(r, c, i);
	} else if (slash && !strcmp(slash, "/stop") && is(r, "POST")) {
		stop(r, c, i);
	} else if (!slash || !strcmp(slash, "/start") || !strcmp(slash, "/stop")) {
		web_error(r, 405, "%s is not a method of %s", r->method, r->path);
	} else {
		web_error(r, 404, "no route %s", r->path);
	}
}

void serve_handle(void *ctx, struct web_req *r)
{
	struct serve_ctx *c = ctx;
	const char *p = r->path, *type;
	const struct panel_file *pf = is(r, "GET") ? panel_find(p, &type) : NULL;

	if (pf)
		web_reply(r, 200, type, (const char *)pf->data, pf->len);
	else if (!strncmp(p, API "/fixtures/", strlen(API "/fixtures/")))
		fixture_route(r, c, p + strlen(API "/fixtures/"));
	else if (!strcmp(p, API "/fixtures") && is(r, "GET"))
		reply_json(r, 200, fixtures_json, c);
	else if (!strncmp(p, API "/runs/", strlen(API "/runs/")) && is(r, "GET"))
		reply_report(r, c, p + strlen(API "/runs/"), report_run);
	else if (!strncmp(p, API "/units/", strlen(API "/units/")) && is(r, "GET"))
		reply_report(r, c, p + strlen(API "/units/"), report_unit);
	else if (!strcmp(p, API "/events") && is(r, "GET"))
		events(r, c);
	else
		web_error(r, 404, "no route %s %s (the API is under " API ", see docs/api.md)",
			  r->method, p);
}
