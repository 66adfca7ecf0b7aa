/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory link of the fuzz targets (see fuzz_link.h). */
#include <string.h>

#include "common/log.h"
#include "fuzz_link.h"

static int fl_read_some(struct link *l, void *buf, size_t n, int timeout_ms,
			struct st_error *e)
{
	struct fuzz_stream *s = l->priv;
	uint8_t *out = buf;
	size_t got = 0;

	while (got < n && s->off < s->n) {
		uint8_t c = s->p[s->off];

		if (c != FUZZ_ESC || s->off + 1 >= s->n) {
			out[got++] = c;
			s->off++;
			continue;
		}
		c = s->p[s->off + 1];
		if (c == FUZZ_ESC) {
			out[got++] = c;
			s->off += 2;
			continue;
		}
		if (got)
			break;	/* deliver the chunk; the escape is seen next time */
		s->off += 2;
		if (c == 0)
			return st_fail(e, ST_ERR_TIMEOUT, "%s: nothing within %d ms", l->port,
				       timeout_ms);
	}
	if (got)
		return (int)got;
	if (s->idle++ < FUZZ_IDLE_TIMEOUTS)
		return st_fail(e, ST_ERR_TIMEOUT, "%s: nothing within %d ms", l->port, timeout_ms);
	return st_fail(e, ST_ERR_IO, "%s: end of the fuzz input", l->port);
}

static int fl_write_all(struct link *l, const void *buf, size_t n, int timeout_ms,
			struct st_error *e)
{
	struct fuzz_stream *s = l->priv;

	(void)buf;
	s->written += n;
	return ST_OK;
}

/* Input "already buffered" is the rest of the stream: keep it, or every
 * command would start on an empty line. */
static int fl_flush_input(struct link *l)
{
	return ST_OK;
}

static void fl_close(struct link *l)
{
}

static const struct link_ops fuzz_link_ops = {
	.name = "fuzz",
	.read_some = fl_read_some,
	.write_all = fl_write_all,
	.flush_input = fl_flush_input,
	.close = fl_close,
};

void fuzz_link_init(struct link *l, struct fuzz_stream *s, const uint8_t *data, size_t n)
{
	memset(l, 0, sizeof(*l));
	memset(s, 0, sizeof(*s));
	s->p = data;
	s->n = n;
	l->ops = &fuzz_link_ops;
	l->priv = s;
	strcpy(l->port, "fuzz");
	link_opts_default(&l->opts);
	/* A stream in memory has no line rate: no read sleeps for wire time. */
	l->opts.baud = 0;
}

/* Warnings (retries, re-syncs) are the normal case under a fuzzer. */
__attribute__((constructor)) static void fuzz_quiet(void)
{
	st_log_set_level(ST_LOG_ERR);
}
