/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's terminal modes (tty_keys.h), by POSIX termios (IEEE Std
 * 1003.1, General Terminal Interface, "Non-Canonical Mode Input
 * Processing"): ICANON off, so no byte is an editing key and a read
 * returns each key as it comes (MIN 1, TIME 0); ECHO off; IEXTEN off (no
 * ^V, ^O); IXON off (a scanned DC3 would freeze the output); ICRNL, INLCR
 * and IGNCR off (Enter arrives as typed: CR, LF or both, the reader takes
 * each as the end of a line).  ISIG stays on in the live view with VSUSP
 * and VQUIT disabled until the station reads the keys itself (a question,
 * or a watcher that tells a person's ^C from a scan's ETX): then ISIG is
 * off.
 *
 * Our modes carry a mark (VEOL2, which means nothing without ICANON) so
 * that the guardian can tell, after the station died, whether the terminal
 * is still as the station left it or the shell has set its own.
 *
 * One station per terminal: a named lock (common/lockfile.h) on the
 * terminal's device number.  The guardian, forked after tty_keys_open(),
 * holds it too, until it has looked at the terminal and set it back: a
 * second station started once the shell has its prompt again could
 * otherwise take the terminal between the guardian's look and its restore,
 * and the guardian would take that station's mode (marked like ours) for
 * the dead one's and hand the terminal the dead one's saved settings.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX "terminal"
#include "common/err.h"
#include "common/lockfile.h"
#include "common/log.h"
#include "link/tty_keys.h"

#define MARK 0x1d	/* VEOL2 in our modes: GS, which no terminal sets there */
#define LOCK_POLL_MS 50

struct tty_keys {
	int fd;			/* our own copy: the guardian's stdin is /dev/null */
	int lock;		/* the terminal's lock; the guardian holds it too */
	bool watched, asking;	/* ^C read by the station, not the kernel's */
	struct termios saved, live;
};

/* The terminal's lock, waiting up to wait_ms while its holder is gone (the
 * station that took it died: its guardian is setting the terminal back). */
static int take_lock(int fd, int wait_ms, int *lock)
{
	const struct timespec poll_ts = { 0, LOCK_POLL_MS * 1000000L };
	struct st_error e = { 0 };
	struct stat st;
	char key[64];
	int holder, waited = 0, ret;

	if (fstat(fd, &st) < 0)
		return ST_ERR_IO;
	snprintf(key, sizeof(key), "terminal %llx", (unsigned long long)st.st_rdev);
	while ((ret = lockfile_take(key, lock, &holder, &e)) == ST_ERR_BUSY &&
	       waited < wait_ms && !lockfile_pid_alive(holder)) {
		nanosleep(&poll_ts, NULL);
		waited += LOCK_POLL_MS;
	}
	if (ret == ST_ERR_BUSY)
		log_warn("the terminal is another station's (pid %d%s): this one asks nothing "
			 "here; run it on a terminal of its own", holder,
			 lockfile_pid_alive(holder) ? "" : ", killed: its guardian is still at work");
	else if (ret < 0)
		log_warn("%s: a second station on this terminal would not be refused", e.msg);
	return ret == ST_ERR_BUSY ? ret : ST_OK;	/* no lock file: the mark still guards */
}

/* tcsetattr() with SIGTTOU blocked in this thread: a change made from the
 * background must not stop the station (POSIX: a blocked SIGTTOU lets the
 * change through). */
static int set_mode(int fd, const struct termios *t)
{
	sigset_t ttou, before;
	int ret;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	pthread_sigmask(SIG_BLOCK, &ttou, &before);
	do
		ret = tcsetattr(fd, TCSANOW, t);
	while (ret < 0 && errno == EINTR);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	return ret;
}

/* A mode the station set (a station's, this one or another's)? */
static bool ours(const struct termios *t)
{
	return !(t->c_lflag & (ICANON | ECHO)) && t->c_cc[VEOL2] == MARK;
}

int tty_keys_open(struct tty_keys **out, int fd, int wait_ms)
{
	struct tty_keys *k;

	*out = NULL;
	if (!isatty(fd) || tcgetpgrp(fd) != getpgrp())
		return ST_OK;
	k = calloc(1, sizeof(*k));
	if (!k)
		return ST_ERR_NOMEM;
	k->lock = -1;
	if (take_lock(fd, wait_ms, &k->lock) == ST_ERR_BUSY) {
		free(k);
		return ST_ERR_BUSY;
	}
	k->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (k->fd < 0 || tcgetattr(k->fd, &k->saved) < 0) {
		log_warn("cannot read the terminal's settings (%s): the terminal echoes and edits "
			 "what is typed", strerror(errno));
		goto fail;
	}
	if (ours(&k->saved)) {
		/* a second station on the terminal would read the first one's
		 * keys, and hand back its mode instead of the terminal's */
		log_warn("the terminal is another station's (it answers that station's questions): "
			 "this one asks nothing here; run it on a terminal of its own");
		close(k->fd);
		lockfile_release(k->lock);
		free(k);
		return ST_ERR_BUSY;
	}
	k->live = k->saved;
	k->live.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | IEXTEN);
	k->live.c_lflag |= ISIG;
	k->live.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR | IGNCR | ISTRIP);
	k->live.c_cc[VMIN] = 1;
	k->live.c_cc[VTIME] = 0;
	k->live.c_cc[VSUSP] = _POSIX_VDISABLE;
	k->live.c_cc[VQUIT] = _POSIX_VDISABLE;
	k->live.c_cc[VEOL2] = MARK;
	if (set_mode(k->fd, &k->live) < 0) {
		log_warn("cannot set the terminal's mode (%s): the terminal echoes and edits what "
			 "is typed", strerror(errno));
		goto fail;
	}
	*out = k;
	return ST_OK;
fail:
	if (k->fd >= 0)
		close(k->fd);
	lockfile_release(k->lock);
	free(k);
	return ST_ERR_IO;
}

static int apply(struct tty_keys *k)
{
	struct termios t = k->live;

	if (k->watched || k->asking)
		t.c_lflag &= ~(tcflag_t)ISIG;
	return set_mode(k->fd, &t) < 0 ? ST_ERR_IO : ST_OK;
}

int tty_keys_question(struct tty_keys *k, bool open)
{
	if (!k)
		return ST_OK;
	k->asking = open;
	return apply(k);
}

int tty_keys_watched(struct tty_keys *k, bool watched)
{
	if (!k)
		return ST_OK;
	k->watched = watched;
	return apply(k);
}

void tty_keys_close(struct tty_keys *k)
{
	if (!k)
		return;
	tcflush(k->fd, TCIFLUSH);
	if (set_mode(k->fd, &k->saved) < 0 && errno != EIO)	/* EIO: hung up, gone */
		log_warn("cannot give the terminal its settings back (%s): type 'stty sane' and "
			 "Enter", strerror(errno));
	close(k->fd);
	lockfile_release(k->lock);
	free(k);
}

/* Under the terminal's lock, which no other station can hold meanwhile: a
 * mode marked ours is the dead station's. */
static bool restore_if_left(struct tty_keys *k)
{
	struct termios now;

	if (tcgetattr(k->fd, &now) < 0)
		return false;
	if (!ours(&now))
		return false;	/* the shell's by now */
	tcflush(k->fd, TCIFLUSH);
	if (set_mode(k->fd, &k->saved) < 0) {
		log_warn("the station ended without stopping and left the terminal without echo; "
			 "cannot set it back (%s): type 'stty sane' and Enter", strerror(errno));
		return false;
	}
	log_warn("the station ended without stopping: the terminal's settings restored");
	return true;
}

bool tty_keys_restore_if_left(struct tty_keys *k)
{
	bool done;

	if (!k)
		return false;
	done = restore_if_left(k);
	lockfile_release(k->lock);	/* done: the next station may take it */
	k->lock = -1;
	return done;
}
