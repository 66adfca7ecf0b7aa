/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Several stations started together on a new log (a line powered up at
 * once): every one opens it, switches it to WAL and finds the schema, and
 * none fails with "database is locked".  Processes, not threads: each has
 * its own connection, as real stations do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_db_data.h"

#define STATIONS 6
#define ROUNDS 15

static char dir[64];

static int setup(void **state)
{
	return t_mkdir(dir, sizeof(dir), "dbopen");
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

static void test_stations_start_together(void **state)
{
	int failed = 0;

	for (int r = 0; r < ROUNDS; r++) {
		char path[128];
		int go[2];
		pid_t pid[STATIONS];

		snprintf(path, sizeof(path), "%s/line-%d.db", dir, r);
		assert_int_equal(pipe(go), 0);
		for (int i = 0; i < STATIONS; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				struct st_error e;
				struct db *db;
				char c;

				close(go[1]);
				/* all wait on the pipe, then race for the new file */
				if (read(go[0], &c, 1) < 0)
					_exit(3);
				if (db_open(&db, path, NULL, &e) < 0) {
					fprintf(stderr, "station %d: %s\n", i, e.msg);
					_exit(1);
				}
				db_close(db);
				_exit(0);
			}
		}
		close(go[0]);
		close(go[1]);	/* EOF releases them all at once */
		for (int i = 0; i < STATIONS; i++) {
			int st;

			assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
			failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
		}
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stations_start_together),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
