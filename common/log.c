/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static enum st_loglevel cur_level = ST_LOG_WARN;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void st_log_set_level(enum st_loglevel lvl)
{
	cur_level = lvl;
}

enum st_loglevel st_log_get_level(void)
{
	return cur_level;
}

void st_log(enum st_loglevel lvl, const char *prefix, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (lvl > cur_level)
		return;
	/* One line per call, never interleaved between fixture threads. */
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s: %s: ", prefix, names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}
