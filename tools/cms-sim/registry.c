// SPDX-License-Identifier: Apache-2.0
/*
 * What the simulated CMS has registered: in memory, and appended as one JSON
 * object per line to --db, so a restarted cms-sim (the "CMS came back" test)
 * remembers it and answers a repeated registration as already-registered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/cms-sim/cms-sim.h"

#define REG_MAX 1000000
#define DB_LINE_MAX (256 * 1024)

static const struct {
	const char *key;
	size_t off;
} rec_fields[] = {
	{ "kind", offsetof(struct reg_rec, kind) },
	{ "serial", offsetof(struct reg_rec, serial) },
	{ "chip_serial", offsetof(struct reg_rec, chip_serial) },
	{ "cert_serial", offsetof(struct reg_rec, cert_serial) },
	{ "fingerprint", offsetof(struct reg_rec, fingerprint) },
	{ "certificate", offsetof(struct reg_rec, cert_pem) },
	{ "chain", offsetof(struct reg_rec, chain_pem) },
	{ "station", offsetof(struct reg_rec, station) },
	{ "fixture", offsetof(struct reg_rec, fixture) },
	{ "revoked_at", offsetof(struct reg_rec, revoked_at) },
	{ "revocation_reason", offsetof(struct reg_rec, revocation_reason) },
};
#define N_FIELDS (sizeof(rec_fields) / sizeof(rec_fields[0]))

static char **field(struct reg_rec *r, size_t i)
{
	return (char **)((char *)r + rec_fields[i].off);
}

static void rec_free(struct reg_rec *r)
{
	size_t i;

	for (i = 0; i < N_FIELDS; i++)
		free(*field(r, i));
}

/* Records written before kinds existed are devices. */
static int is_device(const struct reg_rec *r)
{
	return !r->kind || strcmp(r->kind, "device") == 0;
}

json_t *reg_to_json(const struct reg_rec *r)
{
	json_t *o = json_object();
	size_t i;

	json_object_set_new(o, "id", json_string(r->id));
	for (i = 0; i < N_FIELDS; i++) {
		const char *v = *field((struct reg_rec *)r, i);

		json_object_set_new(o, rec_fields[i].key, v ? json_string(v) : json_null());
	}
	json_object_set_new(o, "registered_at", json_string(r->registered_at));
	json_object_set_new(o, "status", json_string(is_device(r) ? "registered" :
						     r->revoked_at ? "revoked" : "issued"));
	return o;
}

static int push(struct registry *g, struct reg_rec *rec)
{
	struct reg_rec *n;
	size_t cap;

	if (g->n >= REG_MAX)
		return -1;
	if (g->n == g->cap) {
		cap = g->cap ? 2 * g->cap : 64;
		n = realloc(g->recs, cap * sizeof(*n));
		if (!n)
			return -1;
		g->recs = n;
		g->cap = cap;
	}
	g->recs[g->n++] = *rec;
	return 0;
}

/* The newest line of an id wins (a revocation appends the record again). */
static int replace_or_push(struct registry *g, struct reg_rec *r)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->recs[i].id, r->id) == 0) {
			rec_free(&g->recs[i]);
			g->recs[i] = *r;
			return 0;
		}
	return push(g, r);
}

static int rec_from_json(json_t *o, struct reg_rec *r)
{
	const char *s;
	size_t i;

	memset(r, 0, sizeof(*r));
	s = json_string_value(json_object_get(o, "id"));
	if (!s || strlen(s) >= sizeof(r->id))
		return -1;
	strcpy(r->id, s);
	s = json_string_value(json_object_get(o, "registered_at"));
	snprintf(r->registered_at, sizeof(r->registered_at), "%s", s ? s : "");
	for (i = 0; i < N_FIELDS; i++) {
		s = json_string_value(json_object_get(o, rec_fields[i].key));
		if (s)
			*field(r, i) = strdup(s);
	}
	return r->serial && r->fingerprint ? 0 : -1;
}

static int load(struct registry *g, FILE *f)
{
	char *line = malloc(DB_LINE_MAX);
	struct reg_rec r;
	json_error_t jerr;
	json_t *o;
	int lineno = 0, ret = 0;

	if (!line)
		return -1;
	while (ret == 0 && fgets(line, DB_LINE_MAX, f)) {
		lineno++;
		if (line[0] == '\n')
			continue;
		o = json_loads(line, 0, &jerr);
		ret = o ? rec_from_json(o, &r) : -1;
		json_decref(o);
		if (ret == 0)
			ret = replace_or_push(g, &r);
		else
			rec_free(&r);
		if (ret < 0)
			fprintf(stderr, "cms-sim: %s:%d: not a registration record\n",
				g->db_path, lineno);
	}
	free(line);
	return ret;
}

int reg_open(struct registry *g, const char *db_path)
{
	FILE *f;
	int ret;

	memset(g, 0, sizeof(*g));
	g->db_path = db_path;
	if (!db_path)
		return 0;
	f = fopen(db_path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	ret = load(g, f);
	fclose(f);
	return ret;
}

void reg_close(struct registry *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		rec_free(&g->recs[i]);
	free(g->recs);
	memset(g, 0, sizeof(*g));
}

const struct reg_rec *reg_by_serial(const struct registry *g, const char *serial)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (is_device(&g->recs[i]) && strcmp(g->recs[i].serial, serial) == 0)
			return &g->recs[i];
	return NULL;
}

const struct reg_rec *reg_by_fingerprint(const struct registry *g, const char *fp)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (is_device(&g->recs[i]) && strcmp(g->recs[i].fingerprint, fp) == 0)
			return &g->recs[i];
	return NULL;
}

static int is_issued(const struct reg_rec *r)
{
	return r->kind && strcmp(r->kind, "issued") == 0;
}

struct reg_rec *reg_issued_by_id(struct registry *g, const char *id)
{
	for (size_t i = 0; id && i < g->n; i++)
		if (is_issued(&g->recs[i]) && strcmp(g->recs[i].id, id) == 0)
			return &g->recs[i];
	return NULL;
}

struct reg_rec *reg_issued_by_fingerprint(struct registry *g, const char *fp)
{
	for (size_t i = 0; i < g->n; i++)
		if (is_issued(&g->recs[i]) && strcmp(g->recs[i].fingerprint, fp) == 0)
			return &g->recs[i];
	return NULL;
}

/* Append and flush before answering, so a 201 is never forgotten. */
static int append_db(const struct registry *g, const struct reg_rec *r)
{
	json_t *o;
	char *line;
	FILE *f;
	int ret = -1;

	if (!g->db_path)
		return 0;
	o = reg_to_json(r);
	json_object_del(o, "status");
	line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	f = line ? fopen(g->db_path, "a") : NULL;
	if (f) {
		if (fprintf(f, "%s\n", line) > 0 && fflush(f) == 0 && fsync(fileno(f)) == 0)
			ret = 0;
		if (fclose(f) != 0)
			ret = -1;
	}
	if (ret < 0)
		fprintf(stderr, "cms-sim: cannot append to %s: %s\n", g->db_path, strerror(errno));
	free(line);
	return ret;
}

int reg_add(struct registry *g, struct reg_rec *rec, const struct reg_rec **out)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!rec->kind)
		rec->kind = strdup("device");
	if (!rec->kind) {
		rec_free(rec);
		return -1;
	}
	if (is_device(rec))
		snprintf(rec->id, sizeof(rec->id), "reg-%06zu", g->n + 1);
	else	/* INeS ids are integers */
		snprintf(rec->id, sizeof(rec->id), "%zu", 1000 + g->n + 1);
	gmtime_r(&now, &tm);
	strftime(rec->registered_at, sizeof(rec->registered_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (append_db(g, rec) < 0 || push(g, rec) < 0) {
		rec_free(rec);
		return -1;
	}
	*out = &g->recs[g->n - 1];
	return 0;
}

int reg_revoke(struct registry *g, struct reg_rec *r, const char *reason)
{
	time_t now = time(NULL);
	char at[24];
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	free(r->revoked_at);
	free(r->revocation_reason);
	r->revoked_at = strdup(at);
	r->revocation_reason = strdup(reason);
	if (!r->revoked_at || !r->revocation_reason)
		return -1;
	return append_db(g, r);
}
