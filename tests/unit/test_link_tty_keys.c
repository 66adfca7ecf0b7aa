/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's terminal modes (link/tty_keys.h) on a real pty: each case
 * runs in a child that makes the pty its controlling terminal (a session of
 * its own, in the foreground, as a station started from a shell), and says
 * through a pipe what it found wrong; the test asserts it found nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "common/err.h"
#include "link/tty_keys.h"

#define WRONG(...) do { snprintf(why, cap, __VA_ARGS__); return; } while (0)

typedef void (*tty_case)(int tty, int master, char *why, size_t cap);

/* Run c in a child whose controlling terminal is a new pty's slave. */
static void on_pty(tty_case c)
{
	int master, slave, p[2], status;
	char name[128], why[256] = "";
	pid_t pid;
	ssize_t n;

	assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
	close(slave);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int tty;

		close(p[0]);
		setsid();
		tty = open(name, O_RDWR);	/* a session leader's first tty: its own */
		if (tty < 0)
			snprintf(why, sizeof(why), "cannot open %s", name);
		else
			c(tty, master, why, sizeof(why));
		if (write(p[1], why, strlen(why)) < 0)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], why, sizeof(why) - 1);
	why[n > 0 ? n : 0] = '\0';
	waitpid(pid, &status, 0);
	close(p[0]);
	close(master);
	assert_string_equal(why, "");
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static bool lflag(int fd, tcflag_t f)
{
	struct termios t;

	return tcgetattr(fd, &t) == 0 && (t.c_lflag & f);
}

static void live_and_question(int tty, int master, char *why, size_t cap)
{
	struct tty_keys *k = NULL;
	struct termios t;
	int pending = 0;

	if (tty_keys_open(&k, tty, 0) != ST_OK || !k)
		WRONG("the foreground terminal was not taken");
	if (lflag(tty, ICANON) || lflag(tty, ECHO) || !lflag(tty, ISIG))
		WRONG("live view: want no ICANON, no ECHO, ISIG");
	if (tcgetattr(tty, &t) || t.c_cc[VSUSP] != _POSIX_VDISABLE || (t.c_iflag & (IXON | ICRNL)))
		WRONG("live view: ^Z still suspends, or ^S/^Q or CR-to-NL still on");
	tty_keys_question(k, true);
	if (lflag(tty, ISIG))
		WRONG("a question: ^C is still the kernel's");
	tty_keys_question(k, false);
	if (!lflag(tty, ISIG))
		WRONG("after the question: ^C is no longer the kernel's");
	tty_keys_watched(k, true);
	if (lflag(tty, ISIG))
		WRONG("watched: ^C is still the kernel's");
	tty_keys_question(k, true);
	tty_keys_question(k, false);
	if (lflag(tty, ISIG))
		WRONG("watched, after a question: ^C is the kernel's again");
	tty_keys_watched(k, false);
	if (!lflag(tty, ISIG))
		WRONG("no longer watched: ^C is not the kernel's");
	if (write(master, "SIM\r", 4) != 4)
		WRONG("cannot type");
	tcdrain(master);
	tty_keys_close(k);
	if (!lflag(tty, ICANON) || !lflag(tty, ECHO))
		WRONG("closed: the terminal's modes not handed back");
	{
		struct pollfd p = { .fd = tty, .events = POLLIN };

		pending = poll(&p, 1, 0);
	}
	if (pending > 0)
		WRONG("closed: keys typed for the station were left for the shell");
}

static void restore_when_left(int tty, int master, char *why, size_t cap)
{
	struct tty_keys *k = NULL;

	(void)master;
	tty_keys_open(&k, tty, 0);
	if (!k)
		WRONG("not taken");
	tty_keys_question(k, true);	/* killed during a question */
	if (!tty_keys_restore_if_left(k))
		WRONG("the station's mode left on the terminal was not set back");
	if (!lflag(tty, ICANON) || !lflag(tty, ECHO) || !lflag(tty, ISIG))
		WRONG("set back, but not to the terminal's modes");
	tty_keys_close(k);
}

/* The shell has set its own raw mode (readline: no ICANON, no ECHO) after
 * the station died: not ours, left alone. */
static void leave_the_shells_mode(int tty, int master, char *why, size_t cap)
{
	struct tty_keys *k = NULL;
	struct termios shell;

	(void)master;
	tcgetattr(tty, &shell);
	shell.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	tty_keys_open(&k, tty, 0);
	if (!k)
		WRONG("not taken");
	tcsetattr(tty, TCSANOW, &shell);
	if (tty_keys_restore_if_left(k))
		WRONG("the shell's mode was taken for the station's");
	if (lflag(tty, ICANON) || lflag(tty, ECHO))
		WRONG("the shell's mode was changed");
	tty_keys_close(k);
}

/* A second station on the same terminal: refused, so the first one's mode
 * is never taken for the terminal's own and handed back. */
static void second_station_refused(int tty, int master, char *why, size_t cap)
{
	struct tty_keys *first = NULL, *second = NULL;

	(void)master;
	tty_keys_open(&first, tty, 0);
	if (!first)
		WRONG("not taken");
	if (tty_keys_open(&second, tty, 0) != ST_ERR_BUSY || second)
		WRONG("a second station took the terminal");
	tty_keys_close(first);
	if (!lflag(tty, ICANON) || !lflag(tty, ECHO))
		WRONG("the terminal's own modes not handed back");
}

/*
 * A station killed outright (here: a child that ends without closing) with
 * its guardian (a grandchild that inherited the keys) still at work; the
 * shell sets its own modes back meanwhile, as bash does.  A second station
 * started then would take the terminal, and the guardian, finding a mode
 * marked as a station's, would hand that station's terminal the dead one's
 * settings.  The guardian holds the terminal's lock until it is done: the
 * second station is refused while it works, and takes the terminal after.
 */
static void guardian_holds_the_terminal(int tty, int master, char *why, size_t cap)
{
	struct tty_keys *second = NULL;
	struct termios shell;
	int go[2], said[2], st = 0;
	char restored = '?';
	pid_t station;

	(void)master;
	if (tcgetattr(tty, &shell) || pipe(go) || pipe(said))
		WRONG("set-up");
	station = fork();
	if (station == 0) {
		struct tty_keys *k = NULL;

		if (tty_keys_open(&k, tty, 0) != ST_OK || !k)
			_exit(1);
		tty_keys_question(k, true);
		if (fork() == 0) {	/* the guardian: waits, then sets the terminal back */
			char c;

			if (read(go[0], &c, 1) != 1)
				_exit(1);
			c = tty_keys_restore_if_left(k) ? 'r' : 'l';
			_exit(write(said[1], &c, 1) == 1 ? 0 : 1);
		}
		_exit(0);	/* killed: nothing closed, nothing restored */
	}
	close(go[0]);
	close(said[1]);
	waitpid(station, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		WRONG("the first station did not take the terminal");
	tcsetattr(tty, TCSANOW, &shell);	/* the shell's prompt again */
	if (tty_keys_open(&second, tty, 200) != ST_ERR_BUSY || second)
		WRONG("a second station took the terminal while the guardian was at work");
	if (write(go[1], "g", 1) != 1 || read(said[0], &restored, 1) != 1)
		WRONG("the guardian did not answer");
	if (restored != 'l')
		WRONG("the guardian took the shell's mode for the station's");
	/* the guardian is done (its lock released before it said so) */
	if (tty_keys_open(&second, tty, 0) != ST_OK || !second)
		WRONG("the second station was refused after the guardian was done");
	if (lflag(tty, ICANON) || lflag(tty, ECHO))
		WRONG("the second station's mode is not on the terminal");
	tty_keys_close(second);
	if (!lflag(tty, ICANON) || !lflag(tty, ECHO))
		WRONG("the shell's modes not handed back");
}

/* In the background, or not a terminal: nothing taken, nothing changed. */
static void background_is_left_alone(int tty, int master, char *why, size_t cap)
{
	struct tty_keys *k = NULL;
	int null = open("/dev/null", O_RDWR), st = 1;
	pid_t kid;

	(void)master;
	if (tty_keys_open(&k, null, 0) != ST_OK || k)
		WRONG("/dev/null taken for a terminal");
	close(null);
	kid = fork();
	if (kid == 0) {	/* a process group of its own: the background */
		setpgid(0, 0);
		_exit(tty_keys_open(&k, tty, 0) == ST_OK && !k && lflag(tty, ICANON) ? 0 : 1);
	}
	waitpid(kid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		WRONG("a background process took the terminal");
}

/* each case a test of its own */
#define ON_PTY(c) static void test_##c(void **state) { (void)state; on_pty(c); }
ON_PTY(live_and_question)
ON_PTY(restore_when_left)
ON_PTY(leave_the_shells_mode)
ON_PTY(background_is_left_alone)
ON_PTY(second_station_refused)
ON_PTY(guardian_holds_the_terminal)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_and_question),
		cmocka_unit_test(test_restore_when_left),
		cmocka_unit_test(test_leave_the_shells_mode),
		cmocka_unit_test(test_background_is_left_alone),
		cmocka_unit_test(test_second_station_refused),
		cmocka_unit_test(test_guardian_holds_the_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
