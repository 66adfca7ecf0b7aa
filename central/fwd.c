/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The forwarder thread of station run.  It owns its connections (the log
 * opened a second time: WAL lets it read while the line writes; PostgreSQL)
 * so that nothing it does holds a fixture thread.  Woken by each ended
 * run, it drains the queue; while PostgreSQL is away it waits backoff_ms,
 * doubling up to 30 s, and tries again, the runs staying queued in the
 * log.  Errors are logged once per kind of failure, never with the URL.
 */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_PREFIX "central"
#include "common/log.h"
#include "central/central.h"
#include "db/db_forward.h"

#define BACKOFF_MAX_MS 30000
/* Runs a pass sends before it looks at a stop again: a backlog of a
 * million runs (a store configured late) never holds an exit for long. */
#define PASS_RUNS 64

struct central_fwd {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct central_opts o;
	char *url, *passfile, *db_path, *config;
	int backoff_ms;
	bool kicked, stopping;
	int sent, left;
	char last_err[ST_ERRMSG_MAX];
	/* the store's refusal of a run (send.c) while the last pass that
	 * reached it was refused: what holds the queue, for the end line */
	char held[ST_ERRMSG_MAX];
};

/* One pass: connect when needed, drain.  0: the queue is empty. */
static int pass(struct central_fwd *f, struct central **c, struct db *db, struct st_error *e)
{
	int sent = 0, left = 0, ret = ST_OK;

	if (!*c) {
		ret = central_open(c, &f->o, e);
		if (ret == ST_OK)
			ret = central_check_schema(*c, e);
	}
	if (ret == ST_OK) {
		ret = central_drain(*c, db, PASS_RUNS, &sent, &left, e);
	} else {	/* away: what waits, for the operator */
		int64_t queued = 0;
		int n;

		if (db_fwd_queue(db, NULL, 0, &n, &queued, NULL) == ST_OK)
			left = (int)queued;
	}
	pthread_mutex_lock(&f->mu);
	f->sent += sent;
	f->left = left;
	if (ret == ST_ERR_PARSE)	/* a run the store refuses: it holds the queue */
		snprintf(f->held, sizeof(f->held), "%s", e->msg);
	else if (ret == ST_OK)
		f->held[0] = '\0';
	pthread_mutex_unlock(&f->mu);
	if (ret < 0 && *c) {	/* a fresh connection next time */
		central_close(*c);
		*c = NULL;
	}
	return ret;
}

static void wait_ms(struct central_fwd *f, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!f->kicked && !f->stopping)
		if (pthread_cond_timedwait(&f->cv, &f->mu, &ts) == ETIMEDOUT)
			break;
}

static void report(struct central_fwd *f, int ret, const struct st_error *e)
{
	if (ret == ST_OK) {
		if (f->last_err[0])
			log_info("central store reachable again: forwarding resumed");
		f->last_err[0] = '\0';
	} else if (strcmp(f->last_err, e->msg)) {
		/* a run the store refuses for its values (send.c) says what to do */
		if (ret == ST_ERR_PARSE)
			log_warn("%s", e->msg);
		else
			log_warn("%s; runs stay queued in the log and are sent when it answers",
				 e->msg);
		snprintf(f->last_err, sizeof(f->last_err), "%s", e->msg);
	}
}

static void *fwd_thread(void *arg)
{
	struct central_fwd *f = arg;
	const struct db_opts dbo = { .must_exist = true };
	struct central *c = NULL;
	struct db *db = NULL;
	int backoff = f->backoff_ms, ret;
	bool stopping = false;

	for (;;) {
		struct st_error e = { 0 };

		pthread_mutex_lock(&f->mu);
		while (!f->kicked && !f->stopping)
			pthread_cond_wait(&f->cv, &f->mu);
		f->kicked = false;
		stopping = f->stopping;
		pthread_mutex_unlock(&f->mu);
		ret = db ? ST_OK : db_open(&db, f->db_path, &dbo, &e);
		if (ret == ST_OK)
			ret = pass(f, &c, db, &e);
		report(f, ret, &e);
		if (stopping)
			break;
		if (ret == ST_OK) {
			backoff = f->backoff_ms;
			pthread_mutex_lock(&f->mu);
			if (f->left > 0)	/* more than a pass: go on */
				f->kicked = true;
			pthread_mutex_unlock(&f->mu);
			continue;
		}
		/* away: wait, then try again even without a new run */
		pthread_mutex_lock(&f->mu);
		wait_ms(f, backoff);
		f->kicked = true;
		pthread_mutex_unlock(&f->mu);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	central_close(c);
	if (db)
		db_close(db);
	return NULL;
}

int central_fwd_start(struct central_fwd **out, const struct central_opts *o,
		      const char *db_path, int backoff_ms, struct st_error *e)
{
	struct central_fwd *f = calloc(1, sizeof(*f));
	int err;

	*out = NULL;
	if (!f)
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	f->url = strdup(o->url);
	f->passfile = o->passfile ? strdup(o->passfile) : NULL;
	f->db_path = strdup(db_path);
	f->config = o->config ? strdup(o->config) : NULL;
	f->o = (struct central_opts){ .url = f->url, .passfile = f->passfile,
				      .timeout_ms = o->timeout_ms, .config = f->config };
	f->backoff_ms = backoff_ms > 0 ? backoff_ms : 500;
	f->kicked = true;	/* what an earlier run left queued, at once */
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	err = f->url && f->db_path ? pthread_create(&f->tid, NULL, fwd_thread, f) : ENOMEM;
	if (err) {
		free(f->url);
		free(f->passfile);
		free(f->db_path);
		free(f->config);
		free(f);
		return st_fail(e, ST_ERR_NOMEM, "cannot start the central store's forwarder "
			       "(%s): runs stay queued; 'station central sync' sends them",
			       strerror(err));
	}
	*out = f;
	return ST_OK;
}

void central_fwd_kick(struct central_fwd *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->kicked = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void central_fwd_stop(struct central_fwd *f, int *sent, int *left, char *held, size_t cap)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stopping = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->tid, NULL);
	if (sent)
		*sent = f->sent;
	if (left)
		*left = f->left;
	if (held && cap)
		snprintf(held, cap, "%s", f->held);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f->url);
	free(f->passfile);
	free(f->db_path);
	free(f->config);
	free(f);
}
