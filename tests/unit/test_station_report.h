/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the report, trace and export tests: the hand-made log in a
 * temporary directory, and running a command on it into a file. */
#ifndef TEST_STATION_REPORT_H
#define TEST_STATION_REPORT_H

#include <stdarg.h>
#include <unistd.h>

#include "test_db_data.h"
#include "station/commands.h"

static char dir[64], dbp[128], outp[128];

static int setup(void **state)
{
	struct db *db;
	struct st_error e;

	if (t_mkdir(dir, sizeof(dir), "report") < 0)
		return -1;
	snprintf(dbp, sizeof(dbp), "%s/station.db", dir);
	snprintf(outp, sizeof(outp), "%s/out", dir);
	if (db_open(&db, dbp, NULL, &e) < 0)
		return -1;
	t_make_dataset(db);
	db_close(db);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

/* Every text cell of the log equal to from becomes to, byte for byte (what
 * an edit with the sqlite3 shell leaves). */
static void t_edit_text(struct db *db, const char *from, const char *to)
{
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *t, *c, *u;

	assert_int_equal(sqlite3_prepare_v2(h, "SELECT name FROM sqlite_master WHERE type = "
					    "'table' AND name NOT LIKE 'sqlite_%'", -1, &t, NULL),
			 SQLITE_OK);
	while (sqlite3_step(t) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(t, 0);

		assert_int_equal(sqlite3_prepare_v2(h, "SELECT name FROM pragma_table_info(?1)",
						    -1, &c, NULL), SQLITE_OK);
		sqlite3_bind_text(c, 1, table, -1, SQLITE_STATIC);
		while (sqlite3_step(c) == SQLITE_ROW) {
			char *sql = sqlite3_mprintf("UPDATE \"%w\" SET \"%w\" = ?2 WHERE \"%w\" = ?1",
						    table, sqlite3_column_text(c, 0),
						    sqlite3_column_text(c, 0));

			assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &u, NULL), SQLITE_OK);
			sqlite3_bind_text(u, 1, from, -1, SQLITE_STATIC);
			sqlite3_bind_text(u, 2, to, -1, SQLITE_STATIC);
			assert_int_equal(sqlite3_step(u), SQLITE_DONE);
			sqlite3_finalize(u);
			sqlite3_free(sql);
		}
		sqlite3_finalize(c);
	}
	sqlite3_finalize(t);
}

static char *slurp(const char *p)
{
	FILE *f = fopen(p, "r");
	char *buf = calloc(1, 1 << 20);

	assert_non_null(f);
	assert_true(fread(buf, 1, (1 << 20) - 1, f) < (1 << 20) - 1);
	fclose(f);
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* cmd NAME --db DB -o OUT ARGS... (NULL-terminated); the exit status. */
static int run_cmd(int (*cmd)(int, char **), const char *name, ...)
{
	char *argv[32] = { (char *)name, "--db", dbp, "-o", outp };
	int argc = 5;
	va_list ap;

	va_start(ap, name);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	return cmd(argc, argv);
}

#endif
