/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Durability: a child process logs steps from two fixture threads and tells
 * the parent, through a pipe, each step db_step_log() returned for; the
 * parent SIGKILLs it mid-way.  Reopened, the log must pass its integrity
 * check, hold every step the child was told was committed, and recovery
 * must mark both runs aborted naming their last step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_db_data.h"

#define NTHREADS 2
#define KILL_AFTER 60	/* reported steps before the kill */

static char dir[64];
static char path[128];

struct report {
	int thread;
	int index;
	char run[DB_ID_LEN];
};

struct worker {
	struct db *db;
	int fd, thread;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	char fixture[8];
	struct db_run_info ri = { .unit_serial = "CRASH", .fixture = fixture };
	struct db_measurement m[3] = {
		{ .name = "a", .value = 1.0, .low = 0, .high = 2 },
		{ .name = "b", .value = 2.0, .low = NAN, .high = NAN },
		{ .name = "c", .value = NAN, .text = "x", .low = NAN, .high = NAN },
	};
	struct report r = { .thread = w->thread };
	struct st_error e;
	char name[32];

	snprintf(fixture, sizeof(fixture), "F%d", w->thread);
	if (db_run_begin(w->db, &ri, r.run, &e) < 0)
		_exit(3);
	for (int i = 0;; i++) {
		struct db_step s = { .index = i, .name = name, .outcome = DB_PASS,
				     .started_us = db_now_us(), .meas = m, .n_meas = 3 };

		snprintf(name, sizeof(name), "step-%d", i);
		s.ended_us = db_now_us();
		if (db_step_log(w->db, r.run, &s, &e) < 0)
			_exit(4);
		r.index = i;
		/* < PIPE_BUF: atomic, so the two threads' reports never interleave */
		if (write(w->fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(5);
	}
	return NULL;
}

static void child(int fd)
{
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	struct db *db;
	struct st_error e;

	if (db_open(&db, path, NULL, &e) < 0)
		_exit(2);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .db = db, .fd = fd, .thread = i };
		if (pthread_create(&t[i], NULL, worker, &w[i]) != 0)
			_exit(3);	/* the parent sees a child that logged nothing */
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

static int setup(void **state)
{
	if (t_mkdir(dir, sizeof(dir), "dbcrash") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

static void test_sigkill_mid_run(void **state)
{
	struct report r, last[NTHREADS] = { 0 };
	int fds[2], status, n = 0, got = 0;
	char sql[256], buf[256];
	struct db *db;
	struct st_error e;
	pid_t pid;

	for (int i = 0; i < NTHREADS; i++)
		last[i].index = -1;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child(fds[1]);
	}
	close(fds[1]);
	/* until both threads have logged, and KILL_AFTER steps in all */
	while ((got < KILL_AFTER || last[0].index < 0 || last[1].index < 0) &&
	       read(fds[0], &r, sizeof(r)) == (ssize_t)sizeof(r)) {
		last[r.thread] = r;
		got++;
	}
	kill(pid, SIGKILL);
	/* reports written before the kill are still in the pipe */
	while (read(fds[0], &r, sizeof(r)) == (ssize_t)sizeof(r))
		last[r.thread] = r;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	assert_int_equal(db_check(db, &e), ST_OK);
	for (int i = 0; i < NTHREADS; i++) {
		int64_t steps, meas;

		assert_true(last[i].index >= 0);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM steps WHERE run_id = '%s' AND "
			 "idx <= %d", last[i].run, last[i].index);
		steps = t_int(db, sql);
		assert_int_equal(steps, last[i].index + 1);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM measurements m JOIN steps s ON "
			 "s.id = m.step_id WHERE s.run_id = '%s' AND s.idx <= %d", last[i].run,
			 last[i].index);
		meas = t_int(db, sql);
		assert_int_equal(meas, 3 * steps);
	}
	assert_int_equal(db_recover(db, NULL, NULL, &n, NULL, &e), ST_OK);
	assert_int_equal(n, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		int64_t max_idx;

		snprintf(sql, sizeof(sql), "SELECT max(idx) FROM steps WHERE run_id = '%s'",
			 last[i].run);
		/* at most the one step in flight after the last report */
		max_idx = t_int(db, sql);
		assert_true(max_idx == last[i].index || max_idx == last[i].index + 1);
		snprintf(sql, sizeof(sql), "SELECT outcome || ': ' || reason FROM runs WHERE "
			 "id = '%s'", last[i].run);
		t_text(db, sql, buf, sizeof(buf));
		snprintf(sql, sizeof(sql), "aborted: station stopped during the run; last logged "
			 "step %d (step-%d)", (int)max_idx, (int)max_idx);
		assert_string_equal(buf, sql);
	}
	db_close(db);
}

/* db check reports a damaged file instead of calling it fine. */
static void test_check_finds_damage(void **state)
{
	struct db *db;
	struct st_error e;
	char buf[4096];
	int fd, ret;

	snprintf(buf, sizeof(buf), "rm -f '%s' '%s-wal' '%s-shm'", path, path, path);
	assert_int_equal(system(buf), 0);
	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	t_make_dataset(db);
	db_close(db);	/* checkpoints the WAL into the main file */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	memset(buf, 0x5a, sizeof(buf));
	/* pages 3.. are tables' and indexes' b-tree pages; smash two whole ones */
	assert_int_equal(pwrite(fd, buf, 4096, 2 * 4096), 4096);
	assert_int_equal(pwrite(fd, buf, 4096, 5 * 4096), 4096);
	close(fd);
	ret = db_open(&db, path, NULL, &e);
	if (ret == ST_OK) {
		ret = db_check(db, &e);
		db_close(db);
	}
	assert_int_equal(ret, ST_ERR_DB);
	assert_non_null(strstr(e.msg, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill_mid_run),
		cmocka_unit_test(test_check_finds_damage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
