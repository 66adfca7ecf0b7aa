/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Level macros that prefix the module (define LOG_PREFIX before including)
 * and are printf-checked.  Logs go to stderr; only the CLI prints to stdout.
 * Secrets (API keys, private keys) must never be passed to these.
 */
#ifndef ST_COMMON_LOG_H
#define ST_COMMON_LOG_H

enum st_loglevel { ST_LOG_ERR = 0, ST_LOG_WARN, ST_LOG_INFO, ST_LOG_DBG };

void st_log(enum st_loglevel lvl, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void st_log_set_level(enum st_loglevel lvl);
/*
 * Where log lines go instead of stderr (sink NULL: stderr again), e.g. the
 * live terminal view, which prints them above its redrawn lines.  The sink
 * gets one whole line without its newline, under the log's lock: it must
 * not log itself.
 */
typedef void (*st_log_sink)(void *ctx, const char *line);
void st_log_set_sink(st_log_sink sink, void *ctx);
enum st_loglevel st_log_get_level(void);

#ifndef LOG_PREFIX
#define LOG_PREFIX "station"
#endif

#define log_err(...) st_log(ST_LOG_ERR, LOG_PREFIX, __VA_ARGS__)
#define log_warn(...) st_log(ST_LOG_WARN, LOG_PREFIX, __VA_ARGS__)
#define log_info(...) st_log(ST_LOG_INFO, LOG_PREFIX, __VA_ARGS__)
#define log_dbg(...) st_log(ST_LOG_DBG, LOG_PREFIX, __VA_ARGS__)

#endif
