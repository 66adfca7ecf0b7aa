/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One question at a time (ask.h).  Questions take a ticket; the holder of
 * the current one reads the terminal a key at a time (the terminal is not
 * canonical: each byte comes as typed) and echoes the answer so far through
 * the display, escaped.  Every wait is bounded by the question's deadline
 * and broken by a stop.  Between questions a watcher thread reads the keys:
 * a lone Ctrl-C stops the station, anything else is type-ahead, counted and
 * dropped (the next question says so).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/text.h"
#include "station/ask.h"

#define SLICE_MS 100	/* how often a wait looks at the stop */
#define GONE_MAX 128	/* two per fixture: more than can be waiting */
#define DRAIN_MAX 65536	/* type-ahead read at most, then the question goes on */
#define KEY_CTRL_C 0x03
/* A scanner types a barcode as one burst, a key every few ms at most; a
 * person's next key after Ctrl-C comes far later (docs/operators.md). */
#define BURST_MS 50
#define KEY_DEL 0x7f	/* what the Backspace key sends */

struct ask {
	int fd;
	struct tty_keys *keys;
	bool after_cr;		/* the last Enter was a CR: an LF next is its pair */
	int64_t last_key_ms;	/* when the last key came (a burst's keys come close) */
	bool asking;		/* a question reads the keys, not the watcher */
	bool stopped_by_key;	/* the question's lone Ctrl-C stopped the station */
	size_t ahead;		/* keys the watcher dropped since the last question */
	pthread_t watcher;
	bool watching;
	atomic_bool quit;
	struct display *d;
	pthread_mutex_t lock;
	pthread_cond_t turn;
	unsigned long next, serving;
	unsigned long gone[GONE_MAX];	/* tickets given up before their turn */
	int n_gone;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *watch(void *arg);

int ask_new(struct ask **out, int fd, struct tty_keys *keys, struct display *d)
{
	struct ask *a = calloc(1, sizeof(*a));
	pthread_condattr_t ca;

	if (!a)
		return ST_ERR_NOMEM;
	a->fd = fd;
	a->keys = keys;
	a->d = d;
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->turn, &ca);
	pthread_condattr_destroy(&ca);
	/* Ctrl-C read by the watcher from now on (the kernel's before) */
	a->watching = pthread_create(&a->watcher, NULL, watch, a) == 0;
	if (a->watching)
		tty_keys_watched(keys, true);
	*out = a;
	return ST_OK;
}

void ask_free(struct ask *a)
{
	if (!a)
		return;
	if (a->watching) {
		tty_keys_watched(a->keys, false);	/* the kernel's Ctrl-C again */
		atomic_store(&a->quit, true);
		pthread_join(a->watcher, NULL);
	}
	pthread_cond_destroy(&a->turn);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static bool over(int64_t end, const atomic_bool *stop, int *ret)
{
	if (stop && atomic_load(stop))
		*ret = ST_ERR_ABORTED;
	else if (mono_ms() >= end)
		*ret = ST_ERR_TIMEOUT;
	else
		return false;
	return true;
}

/* The next ticket, past those given up; under the lock. */
static void advance(struct ask *a)
{
	a->serving++;
	for (int i = 0; i < a->n_gone; i++)
		if (a->gone[i] == a->serving) {
			a->gone[i] = a->gone[--a->n_gone];
			a->serving++;
			i = -1;	/* the next may be given up too */
		}
	pthread_cond_broadcast(&a->turn);
}

/* Wait for our ticket to be served. */
static int take_turn(struct ask *a, int64_t end, const atomic_bool *stop)
{
	unsigned long mine;
	int ret = ST_OK;

	pthread_mutex_lock(&a->lock);
	mine = a->next++;
	while (a->serving != mine && !over(end, stop, &ret)) {
		int64_t t = mono_ms() + SLICE_MS;
		struct timespec ts = { t / 1000, (t % 1000) * 1000000 };

		pthread_cond_timedwait(&a->turn, &a->lock, &ts);
	}
	if (ret < 0 && a->serving != mine && a->n_gone < GONE_MAX) {
		a->gone[a->n_gone++] = mine;	/* skipped when its turn comes */
	} else if (ret < 0) {
		/* (no room to leave the queue: wait for the turn, which the
		 * holder's own deadline bounds, and pass it on) */
		while (a->serving != mine)
			pthread_cond_wait(&a->turn, &a->lock);
		advance(a);
	}
	pthread_mutex_unlock(&a->lock);
	return ret;
}

static void pass_turn(struct ask *a)
{
	pthread_mutex_lock(&a->lock);
	advance(a);
	pthread_mutex_unlock(&a->lock);
}

/* Is c the LF of a CR LF whose CR ended the last answer?  (Not a key.) */
static bool pair_of_cr(struct ask *a, char c)
{
	bool pair = a->after_cr && c == '\n';

	a->after_cr = false;
	return pair;
}

/* Keys typed before the question: read and dropped (by the watcher, or
 * here), under the lock.  How many. */
static size_t drain(struct ask *a)
{
	size_t n = a->ahead;

	a->ahead = 0;
	while (n < DRAIN_MAX) {
		struct pollfd p = { .fd = a->fd, .events = POLLIN };
		char junk[256];
		ssize_t got;

		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
			break;
		got = read(a->fd, junk, sizeof(junk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		a->last_key_ms = mono_ms();
		for (ssize_t i = 0; i < got; i++)
			if (!pair_of_cr(a, junk[i]))
				n++;
	}
	return n;
}

/* Does another key follow at once (the rest of a scan's burst)? */
static bool burst_goes_on(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&p, 1, BURST_MS);
	while (n < 0 && errno == EINTR);
	return n > 0 && (p.revents & POLLIN);
}

/* A Ctrl-C read at `at`, the key before it at `before`: a person's (the
 * stop), or part of a scan's burst (a key right before or right after)? */
static bool lone_ctrl_c(int fd, int64_t before, int64_t at)
{
	return at - before > BURST_MS && !burst_goes_on(fd);
}

/* The operator's stop, as the kernel's ^C would be (the signal thread sets
 * the stop every wait here looks at). */
static void stop_key(void)
{
	kill(getpid(), SIGINT);
}

/* Between questions: keys read as they come; a lone Ctrl-C stops, the
 * rest is type-ahead, dropped and counted for the next question. */
static void *watch(void *arg)
{
	struct ask *a = arg;

	while (!atomic_load(&a->quit)) {
		struct pollfd p = { .fd = a->fd, .events = POLLIN };
		char keys[256];
		ssize_t got = 0;
		int64_t before, now;

		if (poll(&p, 1, SLICE_MS) <= 0)
			continue;
		pthread_mutex_lock(&a->lock);
		/* (looked at again under the lock: a question may have read
		 * the keys meanwhile, and a read must not wait holding it) */
		if (!a->asking && poll(&p, 1, 0) > 0 && (p.revents & POLLIN))
			got = read(a->fd, keys, sizeof(keys));
		if (got > 0) {
			before = a->last_key_ms;
			now = a->last_key_ms = mono_ms();
			if (got == 1 && keys[0] == KEY_CTRL_C && lone_ctrl_c(a->fd, before, now))
				stop_key();
			else
				for (ssize_t i = 0; i < got; i++)
					a->ahead += !pair_of_cr(a, keys[i]);
		}
		pthread_mutex_unlock(&a->lock);
		if (got <= 0) {	/* a question reads, or the terminal hung up */
			struct timespec ts = { 0, SLICE_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* Backspace: the last character (a whole UTF-8 sequence) taken back. */
static void take_back(char *buf, size_t *len)
{
	while (*len > 0 && ((unsigned char)buf[--*len] & 0xc0) == 0x80)
		;
	buf[*len] = '\0';
}

/*
 * One answer into buf[cap], echoed as typed.  *too_long: more than cap - 1
 * bytes came before Enter (the rest of the line was read and dropped).
 */
static int read_line(struct ask *a, const char *fixture, char *buf, size_t cap, int64_t end,
		     const atomic_bool *stop, bool *too_long)
{
	size_t len = 0;
	int ret = ST_OK;

	*too_long = false;
	buf[0] = '\0';
	while (!over(end, stop, &ret)) {
		struct pollfd p = { .fd = a->fd, .events = POLLIN };
		int64_t left = end - mono_ms(), before;
		char c;
		ssize_t n;

		if (poll(&p, 1, left < SLICE_MS ? (int)left : SLICE_MS) <= 0) {
			display_ask_idle(a->d);	/* buried under other lines? */
			continue;
		}
		n = read(a->fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ST_ERR_CLOSED;
		before = a->last_key_ms;
		a->last_key_ms = mono_ms();
		if (pair_of_cr(a, c))
			continue;
		if (c == '\r' || c == '\n') {
			a->after_cr = c == '\r';
			return ST_OK;
		}
		if (c == KEY_CTRL_C && lone_ctrl_c(a->fd, before, a->last_key_ms)) {
			/* the operator's stop, whatever was typed (in a burst,
			 * a ^C is part of a scan) */
			a->stopped_by_key = true;
			stop_key();
			continue;
		}
		if (c == KEY_DEL && !*too_long)
			take_back(buf, &len);
		else if (len + 1 < cap)
			buf[len++] = c;
		else
			*too_long = true;
		buf[len] = '\0';
		display_ask_typed(a->d, fixture, buf, *too_long);
	}
	return ret;
}

/* The operator's Ctrl-C at a question: said, with what it dropped. */
static void said_stop(struct ask *a, const char *fixture, const char *typed)
{
	char shown[ASK_MAX * 4];

	st_text_show(shown, sizeof(shown), typed);
	if (typed[0])
		display_ask_note(a->d, fixture, "Ctrl-C: the station stops; '%s' typed is dropped",
				 shown);
	else
		display_ask_note(a->d, fixture, "Ctrl-C: the station stops");
}

int ask_line(struct ask *a, const char *fixture, const char *question, ask_check_fn check,
	     void *check_ctx, char *buf, size_t cap, int timeout_ms,
	     const atomic_bool *stop)
{
	int64_t end;
	size_t discarded;
	int ret;

	if (cap > ASK_MAX)
		cap = ASK_MAX;
	/* the wait for the turn: the questions before this one, each bounded
	 * by its own timeout, and a stop */
	ret = take_turn(a, INT64_MAX, stop);
	if (ret < 0)
		return ret;
	tty_keys_question(a->keys, true);
	pthread_mutex_lock(&a->lock);	/* the watcher reads no more */
	a->asking = true;
	discarded = drain(a);
	pthread_mutex_unlock(&a->lock);
	if (discarded)
		display_ask_note(a->d, fixture, "%zu key(s) typed before this question were "
				 "discarded: answer now, to this question", discarded);
	a->stopped_by_key = false;
	end = mono_ms() + timeout_ms;	/* the whole time, from when it is shown */
	for (;;) {
		char why[ASK_MAX + 128];
		bool too_long;

		display_ask(a->d, fixture, question);
		ret = read_line(a, fixture, buf, cap, end, stop, &too_long);
		if (ret < 0) {
			display_ask_done(a->d, fixture, NULL, NULL);
			if (a->stopped_by_key)
				said_stop(a, fixture, buf);
			break;
		}
		if (too_long)
			snprintf(why, sizeof(why), "longer than %zu characters: refused; answer again",
				 cap - 1);
		else if (check && !check(check_ctx, buf, why, sizeof(why)))
			; /* why says why */
		else {
			display_ask_done(a->d, fixture, buf, NULL);
			break;
		}
		display_ask_done(a->d, fixture, too_long ? "(too long)" : buf, why);
	}
	tty_keys_question(a->keys, false);
	pthread_mutex_lock(&a->lock);
	a->asking = false;
	pthread_mutex_unlock(&a->lock);
	pass_turn(a);
	if (ret < 0)
		buf[0] = '\0';
	return ret;
}
