/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which station names a writer login may store runs under (central schema
 * 10: table central_stations, row-level security, schema_v10.c): the
 * message when the store refuses a run for it (which login, which station,
 * the owner's INSERT that binds them), and the check `station central
 * status` makes before anything is refused.  Names are the store's and the
 * log's data: shown escaped (common/text.h), and the INSERT offered only
 * when they need no escaping.
 */
#include <stdio.h>
#include <string.h>

#include "central/central-internal.h"
#include "common/text.h"

/* src as the inside of an SQL string literal: its quotes doubled */
static void lit(char *dst, size_t cap, const char *src)
{
	size_t j = 0;

	for (const char *p = src; *p && j + 2 < cap; p++) {
		if (*p == '\'')
			dst[j++] = '\'';
		dst[j++] = *p;
	}
	dst[j] = '\0';
}

/* The owner's statement that binds login to station, or where to bind them. */
static void bind_sql(char *dst, size_t n, const char *login, const char *station)
{
	char l[128], s[256];

	if (!st_text_is_clean(login) || !st_text_is_clean(station) ||
	    strlen(login) * 2 >= sizeof(l) || strlen(station) * 2 >= sizeof(s)) {
		snprintf(dst, n, "add the login and the station to table central_stations");
		return;
	}
	lit(l, sizeof(l), login);
	lit(s, sizeof(s), station);
	snprintf(dst, n, "INSERT INTO central_stations (login, station) VALUES ('%s', '%s')", l, s);
}

static int not_bound(struct central *c, const char *station, struct st_error *e)
{
	const char *login = PQuser(c->pg) ? PQuser(c->pg) : "?";
	char sql[512], shown_l[192], shown_s[384];

	bind_sql(sql, sizeof(sql), login, station);
	st_text_show(shown_l, sizeof(shown_l), login);
	st_text_show(shown_s, sizeof(shown_s), station);
	return st_fail(e, ST_ERR_DB, "central store %s: login %s is not bound to station %s, and "
		       "the store refuses its runs: bind them as the database's owner: %s",
		       c->where, shown_l, shown_s, sql);
}

int cpi_refused_row(struct central *c, const PGresult *r, const char *table,
		    const struct db_row *row, const char *run_id, struct st_error *e)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorMessage(r);
	char shown[96];

	if (!state || strcmp(state, "42501") || !msg || !strstr(msg, "row-level security"))
		return 0;
	if (!strcmp(table, "runs"))
		for (int i = 0; i < row->n; i++)
			if (!strcmp(row->name[i], "station") && row->v[i].type == DB_TEXT)
				return not_bound(c, row->v[i].s, e);
	st_text_show(shown, sizeof(shown), run_id ? run_id : "?");
	return st_fail(e, ST_ERR_DB, "central store %s: login %s may not add %s rows to run %s: "
		       "the store holds that run under a station this login is not bound to: "
		       "the store's owner finds which (SELECT station FROM runs WHERE id = "
		       "'<the run>') and binds it (INSERT INTO central_stations)", c->where, PQuser(c->pg) ? PQuser(c->pg) : "?",
		       table, shown);
}

int central_check_station(struct central *c, const char *station, struct st_error *e)
{
	/* the owner, a superuser or a BYPASSRLS role is not subject to the
	 * policies; a member of the owner's role is (row_security_active) */
	static const char sql[] =
		"SELECT NOT row_security_active('public.runs') OR central_may_write($1)";
	PGresult *r = PQexecParams(c->pg, sql, 1, NULL, &station, NULL, NULL, 0);
	bool ok;

	if (cpi_ok(c, r, "check the login's stations", e) < 0)
		return ST_ERR_DB;
	ok = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return ok ? ST_OK : not_bound(c, station, e);
}
