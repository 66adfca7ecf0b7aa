/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "common/log.h"
#include "common/text.h"

#define LOG_LINE_MAX 1024

static enum st_loglevel cur_level = ST_LOG_WARN;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static st_log_sink sink_fn;
static void *sink_ctx;

void st_log_set_level(enum st_loglevel lvl)
{
	cur_level = lvl;
}

enum st_loglevel st_log_get_level(void)
{
	return cur_level;
}

void st_log_set_sink(st_log_sink sink, void *ctx)
{
	pthread_mutex_lock(&log_lock);
	sink_fn = sink;
	sink_ctx = ctx;
	pthread_mutex_unlock(&log_lock);
}

void st_log(enum st_loglevel lvl, const char *prefix, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX];
	va_list ap;
	int n;

	if (lvl > cur_level)
		return;
	n = snprintf(raw, sizeof(raw), "%s: %s: ", prefix, names[lvl]);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(raw))
		vsnprintf(raw + n, sizeof(raw) - (size_t)n, fmt, ap);
	va_end(ap);
	/* a message may carry text from outside: one line, nothing a terminal obeys */
	st_text_show(line, sizeof(line), raw);
	/* One line per call, never interleaved between fixture threads. */
	pthread_mutex_lock(&log_lock);
	if (sink_fn)
		sink_fn(sink_ctx, line);
	else
		fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}
