/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run ownership between station processes sharing a log (run_owner.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lockfile.h"
#include "station/run_owner.h"

static void key(const struct run_owner *o, const char *fixture, char *out, size_t cap)
{
	snprintf(out, cap, "run %s\n%s", o->db, fixture);
}

/* The log's absolute name, also before the file exists (its directory's). */
void run_owner_for_log(struct run_owner *o, const char *db_path)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *base = strrchr(db_path, '/');

	memset(o, 0, sizeof(*o));
	if (realpath(db_path, o->db))
		return;
	snprintf(dir, sizeof(dir), "%.*s", base ? (int)(base - db_path) + 1 : 1,
		 base ? db_path : ".");
	if (realpath(dir, real))
		snprintf(o->db, sizeof(o->db), "%s/%s", real, base ? base + 1 : db_path);
	else
		snprintf(o->db, sizeof(o->db), "%s", db_path);
}

/* Is process pid a `station db compact` (its arguments, /proc/PID/cmdline:
 * "db" then "compact")?  It holds every fixture of the log while it
 * copies: the operator waits for it, not for another station. */
static bool holder_compacts(int pid)
{
	char path[64], buf[4096];
	FILE *f;
	size_t n;
	bool db = false;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if (pid <= 0 || !(f = fopen(path, "rb")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1) {
		if (db && !strcmp(buf + i, "compact"))
			return true;
		db = !strcmp(buf + i, "db");
	}
	return false;
}

int run_owner_take(struct run_owner *o, const char *db_path, const char *const *fixtures, int n,
		   struct st_error *e)
{
	char k[2 * PATH_MAX + 80];
	int holder, ret;

	run_owner_for_log(o, db_path);
	for (o->n = 0; o->n < n; o->n++) {
		o->mine[o->n] = fixtures[o->n];
		key(o, fixtures[o->n], k, sizeof(k));
		ret = lockfile_take(k, &o->fd[o->n], &holder, e);
		if (ret == ST_ERR_BUSY && holder_compacts(holder))
			ret = st_fail(e, ST_ERR_BUSY, "fixture %s: its log %s is being compacted by "
				      "station db compact (pid %d), which holds every fixture of the "
				      "log while it copies; start the station again when it has "
				      "finished", fixtures[o->n], o->db, holder);
		else if (ret == ST_ERR_BUSY)
			ret = st_fail(e, ST_ERR_BUSY, "fixture %s already logs its runs to %s from "
				      "another station (pid %d): give each fixture one station",
				      fixtures[o->n], o->db, holder);
		if (ret < 0) {
			run_owner_release(o);
			return ret;
		}
	}
	return ST_OK;
}

void run_owner_release(struct run_owner *o)
{
	while (o->n > 0)
		lockfile_release(o->fd[--o->n]);
}

bool run_owner_live(const char *fixture, void *ctx)
{
	struct run_owner *o = ctx;
	char k[2 * PATH_MAX + 80];
	int fd, ret;

	for (int i = 0; i < o->n; i++)
		if (!strcmp(o->mine[i], fixture))
			return false;	/* ours: any run left on it is an earlier one */
	key(o, fixture, k, sizeof(k));
	ret = lockfile_take(k, &fd, NULL, NULL);
	if (ret == ST_OK) {
		lockfile_release(fd);
		return false;
	}
	return ret == ST_ERR_BUSY;
}
