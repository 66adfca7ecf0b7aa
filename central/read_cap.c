/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report --capability on the central store from its capability cells
 * (central schema 7, schema_v7.c): the reader's capability_sums slot.  One
 * statement for every filter the cells can answer: none, a window of whole
 * UTC hours, a station, a fixture (of any station), a sequence name and
 * version; any other filter (an outcome, a serial, an operator, a work
 * order, a part, a revision, a window not on the hour) ST_ERR_NOTSUP: the
 * report reads the rows.  Rows as db/db_reader.h's capability_sums gives
 * them: the key (sequence name and version, step, name, unit, low, high) in
 * the rows path's order (text in byte order, NULLs first), then station,
 * fixture, hour.  A store not yet at version 7 has none: ST_ERR_NOTSUP.
 */
#include <stdio.h>

#include "central/read-internal.h"

#define C " COLLATE \"C\""
#define HOUR_US 3600000000LL

/* $1, $2 the hours [since, until); $3 fixture; $4 station; $5, $6 the
 * sequence name and version (NULL: no such filter; a one-off statement, so
 * the planner folds them away).  The keys ranked first (a few dozen), then
 * each key's cells through sum_cap_key in (station, fixture, hour) order:
 * the final sort is then one of presorted groups (incremental), not of
 * every cell by seven text columns (on 1.8 million cells: 5 s, not 10 s
 * spilled to disk; a week or a station's 110,000: 0.2 s, not 0.5-1 s). */
static const char sums_sql[] =
	"SELECT k.sequence_name, k.sequence_version, k.step, k.name, k.unit, k.low, k.high,"
	" c.station, c.fixture, c.hour, c.n, c.ref, c.s1, c.s2, c.min, c.max, c.first_us,"
	" c.first_v, c.last_us, c.last_v, c.mr_n, c.mr_sum"
	" FROM (SELECT k.*, row_number() OVER (ORDER BY k.sequence_name" C " NULLS FIRST,"
	"  k.sequence_version" C " NULLS FIRST, k.step" C ", k.name" C ", k.unit" C " NULLS FIRST,"
	"  k.low NULLS FIRST, k.high NULLS FIRST) AS rank FROM sum_cap_keys k"
	"  WHERE ($5::text IS NULL OR k.sequence_name = $5::text)"
	"  AND ($6::text IS NULL OR k.sequence_version = $6::text) ORDER BY rank) k"
	" CROSS JOIN LATERAL (SELECT * FROM sum_cap c WHERE c.key = k.id"
	"  AND ($1::bigint IS NULL OR c.hour >= $1::bigint)"
	"  AND ($2::bigint IS NULL OR c.hour < $2::bigint)"
	"  AND ($3::text IS NULL OR c.fixture = $3::text)"
	"  AND ($4::text IS NULL OR c.station = $4::text)"
	"  ORDER BY c.station, c.fixture, c.hour) c"
	" ORDER BY k.rank, c.station, c.fixture, c.hour";

static bool answerable(const struct rep_filter *f)
{
	return !f || (!f->outcome && !f->serial && !f->operator_name && !f->work_order &&
		      !f->part_number && !f->revision &&
		      (!f->has_since || f->since_us % HOUR_US == 0) &&
		      (!f->has_until || f->until_us % HOUR_US == 0));
}

int cpr_capability_sums(void *h, const struct rep_filter *f, db_row_fn fn, void *ctx,
			struct st_error *e)
{
	char since[24], until[24];
	const char *v[6] = { NULL };
	int version = 0, ret;

	if (!answerable(f))
		return st_fail(e, ST_ERR_NOTSUP, "the capability cells do not answer this filter: "
			       "the rows do");
	/* a store not yet migrated to version 7 has no cells: its rows answer */
	ret = central_schema_version(h, &version, e);
	if (ret < 0)
		return ret;
	if (version < 7)
		return st_fail(e, ST_ERR_NOTSUP, "central store at schema version %d: no "
			       "capability cells before version 7", version);
	if (f && f->has_since) {
		snprintf(since, sizeof(since), "%lld", (long long)(f->since_us / HOUR_US));
		v[0] = since;
	}
	if (f && f->has_until) {
		snprintf(until, sizeof(until), "%lld", (long long)(f->until_us / HOUR_US));
		v[1] = until;
	}
	if (f) {
		v[2] = f->fixture;
		v[3] = f->station;
		v[4] = f->seq_name;
		v[5] = f->seq_version;
	}
	return cpr_rows(h, sums_sql, NULL, v, 6, fn, ctx, e);
}
