/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which 'running' runs in a log belong to a station process still running.
 * Several stations may share one log (one process per fixture, say): the
 * start-up recovery of one must not mark another's runs in flight aborted.
 * A station holds a named lock per (log, fixture) while it runs (its
 * guardian shares it); a running run on a fixture whose lock nobody holds
 * was left by a station that is gone.
 */
#ifndef ST_STATION_RUN_OWNER_H
#define ST_STATION_RUN_OWNER_H

#include <limits.h>
#include <stdbool.h>

#include "common/err.h"
#include "station/config.h"

struct run_owner {
	char db[2 * PATH_MAX];
	const char *mine[CFG_MAX_FIXTURES];	/* this station's fixtures */
	int fd[CFG_MAX_FIXTURES];
	int n;
};

/* Take the (log, fixture) locks for fixtures[0..n) of this station. */
int run_owner_take(struct run_owner *o, const char *db_path, const char *const *fixtures, int n,
		   struct st_error *e);
void run_owner_release(struct run_owner *o);
/* For db_recover: a run on fixture is live in another station.  ctx: a
 * struct run_owner (its own fixtures are never live elsewhere), or for
 * `station db recover` one with n = 0 and db set (run_owner_for_log). */
bool run_owner_live(const char *fixture, void *ctx);
void run_owner_for_log(struct run_owner *o, const char *db_path);

#endif
