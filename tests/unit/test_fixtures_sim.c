/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sim fixture driver against a small control server running in a thread
 * of this test, speaking dut-sim's protocol on a real AF_UNIX socket:
 * "set <line> <0|1>", "get <line>", "status" -> "OK", "OK <v>", "ERR <why>".
 */
#include <dirent.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtures/fixture-internal.h"

struct ctl {
	char dir[32], path[64];
	int lfd;
	pthread_t th;
	/* set by the test's thread, read by the server's: C11 atomics */
	atomic_bool stop;
	atomic_bool hang;	/* read commands, never answer */
	atomic_bool drop;	/* close the connection after each reply */
	pthread_mutex_t mu;
	int line[FX_LINE_COUNT];
	char log[2048];		/* every command received, one per line */
	struct fixture_def def;
};

static void ctl_reply(struct ctl *c, const char *cmd, char *out, size_t cap)
{
	char name[32];
	int v, l;

	if (!strcmp(cmd, "status")) {
		snprintf(out, cap, "OK mode=off power=%d boot=%d", c->line[FX_POWER],
			 c->line[FX_BOOT]);
	} else if (sscanf(cmd, "set %31s %d", name, &v) == 2) {
		l = fx_line_from_name(name);
		if (l < 0 || l == FX_LED_PASS) {	/* this "fixture" has no pass lamp */
			snprintf(out, cap, "ERR no line '%s'", name);
		} else {
			snprintf(out, cap, "OK");
			c->line[l] = v;
		}
	} else if (sscanf(cmd, "get %31s", name) == 1 && (l = fx_line_from_name(name)) >= 0) {
		snprintf(out, cap, "OK %d", c->line[l]);
	} else {
		snprintf(out, cap, "ERR unknown command");
	}
}

/* Serve one client until it goes away (or the test stops). */
static void ctl_serve(struct ctl *c, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[256], out[300];
	size_t n = 0;
	ssize_t r;

	while (!c->stop) {
		if (poll(&pfd, 1, 50) != 1)
			continue;
		r = read(fd, buf + n, 1);
		if (r <= 0)
			return;
		if (buf[n] != '\n' && n + 1 < sizeof(buf)) {
			n++;
			continue;
		}
		buf[n] = '\0';
		n = 0;
		pthread_mutex_lock(&c->mu);
		strncat(c->log, buf, sizeof(c->log) - strlen(c->log) - 2);
		strcat(c->log, "\n");
		ctl_reply(c, buf, out, sizeof(out) - 1);
		pthread_mutex_unlock(&c->mu);
		strcat(out, "\n");
		if (!c->hang && write(fd, out, strlen(out)) < 0)
			return;
		if (c->drop)
			return;
	}
}

static void *ctl_main(void *arg)
{
	struct ctl *c = arg;
	struct pollfd pfd = { .fd = c->lfd, .events = POLLIN };

	while (!c->stop) {
		int fd;

		if (poll(&pfd, 1, 50) != 1)
			continue;
		fd = accept(c->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		ctl_serve(c, fd);
		close(fd);
	}
	return NULL;
}

static int setup(void **state)
{
	struct ctl *c = calloc(1, sizeof(*c));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(c->dir, "/tmp/st-fxsim-XXXXXX");
	if (!mkdtemp(c->dir))
		return -1;
	snprintf(c->path, sizeof(c->path), "%s/ctrl", c->dir);
	strcpy(sa.sun_path, c->path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(c->lfd, 4))
		return -1;
	pthread_mutex_init(&c->mu, NULL);
	c->line[FX_LID] = 1;
	if (pthread_create(&c->th, NULL, ctl_main, c) != 0)
		return -1;
	fixture_def_init(&c->def);
	strcpy(c->def.name, "sim-7");
	strcpy(c->def.ctrl, c->path);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctl *c = *state;

	c->stop = true;
	pthread_join(c->th, NULL);
	close(c->lfd);
	unlink(c->path);
	if (getenv("STATION_LOCK_DIR")) {	/* the lock tests' files */
		DIR *d = opendir(c->dir);
		struct dirent *de;
		char f[320];

		while (d && (de = readdir(d)))
			if (!strncmp(de->d_name, "station-", 8)) {
				snprintf(f, sizeof(f), "%s/%s", c->dir, de->d_name);
				unlink(f);
			}
		if (d)
			closedir(d);
		unsetenv("STATION_LOCK_DIR");
	}
	rmdir(c->dir);
	free(c);
	return 0;
}

/* The commands the server saw, from the n-th on. */
static const char *log_from(struct ctl *c, int n)
{
	const char *p = c->log;

	while (n-- > 0 && (p = strchr(p, '\n')))
		p++;
	return p ? p : "";
}

static void test_set_get_status(void **state)
{
	struct ctl *c = *state;
	struct fixture *fx;
	struct st_error e;
	char what[200];
	bool on = false;

	assert_int_equal(fixture_open(&fx, &c->def, &e), ST_OK);
	assert_int_equal(fixture_set(fx, FX_BOOT, true, &e), ST_OK);
	assert_int_equal(fixture_set(fx, FX_POWER, true, &e), ST_OK);
	assert_int_equal(c->line[FX_POWER], 1);
	assert_true(fx->lines_state[FX_POWER]);
	assert_int_equal(fixture_get(fx, FX_LID, &on, &e), ST_OK);
	assert_true(on);
	assert_int_equal(fixture_probe(fx, what, sizeof(what), &e), ST_OK);
	assert_non_null(strstr(what, "mode=off power=1 boot=1"));
	/* the engine can never set an input */
	assert_int_equal(fixture_set(fx, FX_LID, true, &e), ST_ERR_ARG);
	fixture_close(fx);
	/* close puts the board in its safe state: power first */
	assert_string_equal(c->log, "status\nset boot 1\nset power 1\nget lid\nstatus\n"
			    "set power 0\nset boot 0\nset reset 0\n");
	assert_int_equal(c->line[FX_POWER], 0);
}

static void test_err_reply(void **state)
{
	struct ctl *c = *state;
	struct fixture *fx;
	struct st_error e;

	assert_int_equal(fixture_open(&fx, &c->def, &e), ST_OK);
	assert_int_equal(fixture_set(fx, FX_LED_PASS, true, &e), ST_ERR_FAIL);
	assert_string_equal(e.msg, "fixture sim-7: set led-pass 1: the simulator refused "
			    "'set led-pass 1': no line 'led-pass'");
	assert_false(fx->lines_state[FX_LED_PASS]);
	fixture_close(fx);
}

static void test_shutdown_all_latches(void **state)
{
	struct ctl *c = *state;
	struct fixture *fx;
	struct st_error e;

	assert_int_equal(fixture_open(&fx, &c->def, &e), ST_OK);
	assert_int_equal(fixture_set(fx, FX_POWER, true, &e), ST_OK);
	fixture_shutdown_all();
	assert_int_equal(c->line[FX_POWER], 0);
	assert_string_equal(log_from(c, 2), "set power 0\nset boot 0\nset reset 0\n");
	/* a run thread still going cannot power the board back on */
	assert_int_equal(fixture_set(fx, FX_POWER, true, &e), ST_ERR_ABORTED);
	assert_non_null(strstr(e.msg, "safe state"));
	assert_int_equal(c->line[FX_POWER], 0);
	assert_int_equal(fixture_set(fx, FX_RESET, false, &e), ST_OK);
	fixture_close(fx);
}

static void test_hung_simulator_times_out(void **state)
{
	struct ctl *c = *state;
	struct fixture *fx;
	struct st_error e;

	assert_int_equal(fixture_open(&fx, &c->def, &e), ST_OK);
	c->hang = true;
	assert_int_equal(fixture_set(fx, FX_POWER, true, &e), ST_ERR_TIMEOUT);
	assert_non_null(strstr(e.msg, "no reply in time"));
	/* the connection was dropped; the next exchange starts clean */
	c->hang = false;
	assert_int_equal(fixture_set(fx, FX_POWER, false, &e), ST_OK);
	fixture_close(fx);
}

/* A simulator that restarted or dropped the client: one fresh connection. */
static void test_reconnects(void **state)
{
	struct ctl *c = *state;
	struct fixture *fx;
	struct st_error e;
	bool on;

	c->drop = true;
	assert_int_equal(fixture_open(&fx, &c->def, &e), ST_OK);
	assert_int_equal(fixture_set(fx, FX_POWER, true, &e), ST_OK);
	assert_int_equal(fixture_get(fx, FX_POWER, &on, &e), ST_OK);
	assert_true(on);
	fixture_close(fx);
	assert_int_equal(c->line[FX_POWER], 0);
}

/* what, in the commands the server saw, once its thread has taken them in
 * from a child that died (polled: no time is asserted) */
static void wait_logged(struct ctl *c, const char *what)
{
	bool seen = false;

	for (int i = 0; i < 200 && !seen; i++) {
		pthread_mutex_lock(&c->mu);
		seen = strstr(c->log, what) != NULL;
		pthread_mutex_unlock(&c->mu);
		if (!seen)
			usleep(10 * 1000);
	}
	assert_non_null(strstr(c->log, what));
}

/* A child that is to crash, as the station would: no core, no cmocka
 * handler behind the crash guard.  Returns as fork() does. */
static pid_t crash_child(struct ctl *c)
{
	pid_t pid;

	c->drop = true;	/* one connection per exchange: the handler's gets served */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGSEGV, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
		fixture_crash_guard();
	}
	return pid;
}

static volatile bool keep_diving = true;

/* Recursion the compiler cannot turn into a loop: it ends in SIGSEGV. */
static int dive(int depth)
{
	volatile char frame[512];

	frame[0] = (char)depth;
	if (!keep_diving)
		return frame[0];
	return dive(depth + 1) + frame[0];
}

/*
 * A stack overflow leaves no stack for a signal handler, unless the thread
 * has an alternate one: a station that overflows its stack while a board is
 * powered still powers it off before it dies.
 */
static void test_stack_overflow_powers_off(void **state)
{
	struct ctl *c = *state;
	int st = 0;
	pid_t pid;

	pid = crash_child(c);
	if (pid == 0) {
		struct fixture *fx;
		struct st_error e;

		if (fixture_open(&fx, &c->def, &e) < 0 || fixture_set(fx, FX_POWER, true, &e) < 0)
			_exit(3);
		dive(0);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	/* SIGSEGV, or a sanitizer's stack-overflow report and its exit status */
	if (WIFEXITED(st))
		assert_true(WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 3 && WEXITSTATUS(st) != 4);
	else
		assert_int_equal(WTERMSIG(st), SIGSEGV);
	/* power first (this server takes one command a connection here) */
	wait_logged(c, "set power 1\nset power 0\n");
	assert_int_equal(c->line[FX_POWER], 0);
}

/*
 * fixture_close() in one thread while the crash handler, in another, is in
 * the same fixture's crash_off (its first connection is held unanswered here
 * until the close has returned): the handler must never read a node the
 * close freed.  A second control server, in the crashing child, serves the
 * fixture "hold" and tells the closing thread when the handler is in.
 */
struct hold {
	int lfd;
	int go[2];	/* server -> closer: the handler is in crash_off */
	int done[2];	/* closer -> server: the close has returned */
	struct fixture *fx;
};

static void hold_reply(int fd, const char *line)
{
	const char *r = !strncmp(line, "status", 6) ? "OK mode=off\n" :
			!strncmp(line, "get ", 4) ? "OK 0\n" : "OK\n";

	if (write(fd, r, strlen(r)) < 0) {
		/* the client went away: nothing to answer */
	}
}

static void *hold_main(void *arg)
{
	struct hold *h = arg;
	struct pollfd p[8] = { { .fd = h->lfd, .events = POLLIN },
			       { .fd = h->done[0], .events = POLLIN } };
	char buf[8][256];
	size_t len[8] = { 0 };
	int np = 2, accepted = 0, held = -1, pending = 0;

	for (;;) {
		if (poll(p, (nfds_t)np, -1) <= 0)
			continue;
		if ((p[0].revents & POLLIN) && np < 8) {
			int fd = accept(h->lfd, NULL, NULL);

			if (fd >= 0) {
				p[np] = (struct pollfd){ .fd = fd, .events = POLLIN };
				len[np] = 0;
				/* the fixture's own connection first; then the handler's */
				if (++accepted == 2) {
					held = np;
					if (write(h->go[1], "g", 1) != 1)
						return NULL;
				}
				np++;
			}
		}
		if (p[1].revents & POLLIN) {
			char d;

			if (read(h->done[0], &d, 1) == 1 && held >= 0)
				for (; pending > 0; pending--)
					hold_reply(p[held].fd, "set");
			held = -1;
			p[1].events = 0;
		}
		for (int i = 2; i < np; i++) {
			ssize_t r;

			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			r = read(p[i].fd, buf[i] + len[i], sizeof(buf[i]) - 1 - len[i]);
			if (r <= 0) {
				p[i].events = 0;
				continue;
			}
			len[i] += (size_t)r;
			for (char *nl; (nl = memchr(buf[i], '\n', len[i])) != NULL;) {
				*nl = '\0';
				if (i == held)
					pending++;
				else
					hold_reply(p[i].fd, buf[i]);
				len[i] -= (size_t)(nl + 1 - buf[i]);
				memmove(buf[i], nl + 1, len[i]);
			}
		}
	}
	return NULL;
}

static void *closer_main(void *arg)
{
	struct hold *h = arg;
	char g;

	if (read(h->go[0], &g, 1) == 1)
		fixture_close(h->fx);
	if (write(h->done[1], "d", 1) != 1)
		return NULL;
	return NULL;
}

static void test_close_during_crash(void **state)
{
	struct ctl *c = *state;
	char path[128];
	int st = 0;
	pid_t pid;

	pid = crash_child(c);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct fixture_def hd = c->def;
		struct hold h = { 0 };
		struct fixture *fx;
		struct st_error e;
		pthread_t srv, closer;

		/* freed memory scribbled over: a read after free goes astray
		 * even without a sanitizer (which reports it itself) */
		mallopt(M_PERTURB, 0xa5);
		snprintf(hd.name, sizeof(hd.name), "hold");
		snprintf(hd.ctrl, sizeof(hd.ctrl), "%s/hold", c->dir);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/hold", c->dir);
		h.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (h.lfd < 0 || bind(h.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(h.lfd, 4) < 0 || pipe(h.go) < 0 || pipe(h.done) < 0)
			_exit(3);
		if (pthread_create(&srv, NULL, hold_main, &h) != 0)
			_exit(3);
		if (fixture_open(&fx, &c->def, &e) < 0 || fixture_set(fx, FX_POWER, true, &e) < 0 ||
		    fixture_open(&h.fx, &hd, &e) < 0 || fixture_set(h.fx, FX_POWER, true, &e) < 0)
			_exit(4);
		if (pthread_create(&closer, NULL, closer_main, &h) != 0)
			_exit(3);
		raise(SIGABRT);
		_exit(5);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	snprintf(path, sizeof(path), "%s/hold", c->dir);
	unlink(path);
	/* SIGABRT, as raised: not a crash inside the handler, nor a
	 * sanitizer's report of a use after free (an exit status) */
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	/* and the handler put the other fixture in its safe state too */
	wait_logged(c, "set power 1\nset power 0\n");
}

/* One station per fixture: a second lock on the same fixture is refused at
 * once while its holder runs, naming it; another fixture locks freely. */
static void test_lock_busy(void **state)
{
	struct ctl *c = *state;
	struct fixture_def other = c->def;
	struct st_error e;
	char want[128];
	int fd, fd2, fd3;

	setenv("STATION_LOCK_DIR", c->dir, 1);
	assert_int_equal(fixture_lock(&c->def, 0, &fd, &e), ST_OK);
	assert_int_equal(fixture_lock(&c->def, 5000, &fd2, &e), ST_ERR_BUSY);
	snprintf(want, sizeof(want), "fixture sim-7 is in use by another station (pid %d): stop "
		 "it first, or use another fixture", (int)getpid());
	assert_string_equal(e.msg, want);
	snprintf(other.ctrl, sizeof(other.ctrl), "%s/other", c->dir);
	assert_int_equal(fixture_lock(&other, 0, &fd3, &e), ST_OK);
	fixture_unlock(fd3);
	fixture_unlock(fd);
	assert_int_equal(fixture_lock(&c->def, 0, &fd, &e), ST_OK);
	fixture_unlock(fd);
}

/*
 * A station gone, its guardian still holding the lock (here a grandchild
 * that keeps the lock's file open a moment): the next station waits for it
 * instead of failing, and gets the fixture when the guardian is done.
 */
static void test_lock_waits_for_guardian(void **state)
{
	struct ctl *c = *state;
	struct st_error e;
	int fd, st, pfd[2];
	pid_t pid;
	char ready;

	setenv("STATION_LOCK_DIR", c->dir, 1);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (fixture_lock(&c->def, 0, &fd, &e) < 0)
			_exit(3);
		if (fork() == 0) {	/* the "guardian": holds the lock 300 ms */
			ssize_t w = write(pfd[1], "r", 1);

			usleep(300 * 1000);
			_exit(w == 1 ? 0 : 4);
		}
		_exit(0);		/* the "station" is gone at once */
	}
	close(pfd[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(read(pfd[0], &ready, 1), 1);
	close(pfd[0]);
	assert_int_equal(fixture_lock(&c->def, 0, &fd, &e), ST_ERR_BUSY);
	assert_int_equal(fixture_lock(&c->def, 5000, &fd, &e), ST_OK);
	fixture_unlock(fd);
}

static void test_no_simulator(void **state)
{
	struct ctl *c = *state;
	struct fixture *fx;
	struct st_error e;

	snprintf(c->def.ctrl, sizeof(c->def.ctrl), "%s/nobody", c->dir);
	assert_int_equal(fixture_open(&fx, &c->def, &e), ST_ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "is dut-sim running?"));
	c->def.ctrl[0] = '\0';
	assert_int_equal(fixture_open(&fx, &c->def, &e), ST_ERR_ARG);
	assert_non_null(strstr(e.msg, "set 'ctrl'"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_set_get_status),
		T(test_err_reply),
		T(test_shutdown_all_latches),
		T(test_hung_simulator_times_out),
		T(test_reconnects),
		T(test_no_simulator),
		T(test_stack_overflow_powers_off),
		T(test_close_during_crash),
		T(test_lock_busy),
		T(test_lock_waits_for_guardian),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
