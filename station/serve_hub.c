/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event hub of station serve (serve.h).  display.c writes its --json
 * events into hub_file(), a stdio stream of our own (fopencookie): each
 * line becomes one numbered event in a ring of HUB_RING.  A stream is a
 * position in the ring; it waits on the hub's condition for the next
 * event, and after KEEPALIVE_S of quiet sends an SSE comment, so a client
 * gone away is noticed by the failed write and an idle proxy keeps the
 * connection.  A stream that falls a whole ring behind (a client that
 * does not read) skips to the oldest event kept and is told how many it
 * lost: a slow client never holds the station back, nor grows memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "station/serve.h"

#define KEEPALIVE_S 2

struct hub {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	char *ring[HUB_RING];
	uint64_t next;		/* the id the next event gets (from 1) */
	bool closed;
	int subs;
	FILE *file;
	char *line;		/* the line being written into file */
	size_t len;
	bool cut;		/* the line grew past HUB_LINE_MAX */
};

struct hub_sub {
	struct hub *h;
	uint64_t at;		/* the next event's id */
	char *pending;		/* the formatted event being sent */
	size_t len, off;
};

static void publish(struct hub *h, const char *line)
{
	char *copy = strdup(line);

	pthread_mutex_lock(&h->mu);
	if (++h->next == 0)	/* ids start from 1 */
		h->next = 1;
	free(h->ring[h->next % HUB_RING]);
	h->ring[h->next % HUB_RING] = copy;	/* NULL (no memory): sent as lost */
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->mu);
}

/* fopencookie's write: the bytes display.c wrote, split into lines. */
static ssize_t file_write(void *cookie, const char *buf, size_t n)
{
	struct hub *h = cookie;

	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (h->line) {
				h->line[h->len] = '\0';
				publish(h, h->line);
			}
			h->len = 0;
			h->cut = false;
			continue;
		}
		if (h->len + 2 > HUB_LINE_MAX) {
			h->cut = true;	/* the rest of this line is dropped */
			continue;
		}
		if (!h->line && !(h->line = malloc(HUB_LINE_MAX)))
			return -1;
		h->line[h->len++] = buf[i];
	}
	return (ssize_t)n;
}

int hub_new(struct hub **out)
{
	static const cookie_io_functions_t io = { .write = file_write };
	struct hub *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;

	if (!h)
		return ST_ERR_NOMEM;
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	h->file = fopencookie(h, "w", io);
	if (!h->file) {
		hub_free(h);
		return ST_ERR_NOMEM;
	}
	setvbuf(h->file, NULL, _IOLBF, 0);
	*out = h;
	return ST_OK;
}

FILE *hub_file(struct hub *h)
{
	return h->file;
}

void hub_close(struct hub *h)
{
	pthread_mutex_lock(&h->mu);
	h->closed = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->mu);
}

/* After every stream has ended (web_stop() first). */
void hub_free(struct hub *h)
{
	if (!h)
		return;
	if (h->file)
		fclose(h->file);
	for (int i = 0; i < HUB_RING; i++)
		free(h->ring[i]);
	free(h->line);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

struct hub_sub *hub_subscribe(struct hub *h, const char *last_id)
{
	struct hub_sub *s = calloc(1, sizeof(*s));
	char *end;
	unsigned long long last = last_id ? strtoull(last_id, &end, 10) : 0;

	if (!s)
		return NULL;
	s->h = h;
	pthread_mutex_lock(&h->mu);
	s->at = h->next + 1;
	/* a reconnecting EventSource: from where it left, if still kept */
	if (last_id && !*end && last < h->next && h->next - last < HUB_RING)
		s->at = last + 1;
	h->subs++;
	pthread_mutex_unlock(&h->mu);
	/* a first line at once: the client knows the stream is open */
	s->pending = strdup(": station serve events\n\n");
	s->len = s->pending ? strlen(s->pending) : 0;
	return s;
}

void hub_unsubscribe(void *sub)
{
	struct hub_sub *s = sub;

	pthread_mutex_lock(&s->h->mu);
	s->h->subs--;
	pthread_mutex_unlock(&s->h->mu);
	free(s->pending);
	free(s);
}

void hub_counts(struct hub *h, int *subs, uint64_t *events)
{
	pthread_mutex_lock(&h->mu);
	*subs = h->subs;
	*events = h->next;
	pthread_mutex_unlock(&h->mu);
}

/* The next thing to send, formatted in s->pending; false: the hub closed. */
static bool next_event(struct hub_sub *s)
{
	struct hub *h = s->h;
	struct timespec until;
	FILE *f;
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += KEEPALIVE_S;
	pthread_mutex_lock(&h->mu);
	while (s->at > h->next && !h->closed && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&h->cond, &h->mu, &until);
	free(s->pending);
	s->pending = NULL;
	s->len = s->off = 0;
	f = open_memstream(&s->pending, &s->len);
	if (!f) {
		pthread_mutex_unlock(&h->mu);
		return false;
	}
	if (s->at <= h->next) {
		if (h->next - s->at >= HUB_RING) {
			fprintf(f, ": %" PRIu64 " events lost (this client read too slowly)\n\n",
				h->next - s->at - HUB_RING + 1);
			s->at = h->next - HUB_RING + 1;
		}
		if (h->ring[s->at % HUB_RING])
			fprintf(f, "id: %" PRIu64 "\ndata: %s\n\n", s->at, h->ring[s->at % HUB_RING]);
		else
			fprintf(f, ": event %" PRIu64 " lost (out of memory)\n\n", s->at);
		s->at++;
	} else if (!h->closed) {
		fputs(": keep-alive\n\n", f);
	}
	pthread_mutex_unlock(&h->mu);
	fclose(f);
	return s->len > 0;
}

size_t hub_pull(void *sub, char *buf, size_t cap)
{
	struct hub_sub *s = sub;
	size_t n;

	if (s->off == s->len && !next_event(s))
		return 0;
	n = s->len - s->off < cap ? s->len - s->off : cap;
	memcpy(buf, s->pending + s->off, n);
	s->off += n;
	return n;
}
