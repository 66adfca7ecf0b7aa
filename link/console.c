/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware line console over a link.  Lines are read in chunks; what
 * follows a line goes back to the link (link_unread), so a banner wait
 * followed by another wait or a loader loses nothing.  Everything is bounded:
 * a line longer than CONSOLE_LINE_MAX, or a response longer than the caller's
 * buffer, is an error.  Bytes that are not text mean the wrong baud rate or a
 * crashed firmware, and say so.
 *
 * Every request carries a tag the firmware repeats on each line of its
 * reply (console.h), so a reply that arrives after its command timed out
 * is recognised by its old tag and dropped, not read as the next answer.
 */
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "console"
#include "common/log.h"
#include "link/console.h"

#define CONSOLE_LINE_MAX 512
#define CONSOLE_CHUNK 256	/* <= LINK_PUSHBACK_MAX, so leftovers always fit */
#define CONSOLE_CMD_MAX 400
#define CONSOLE_TAG_MAX 999999999u
#define CONSOLE_TAIL 48		/* last bytes kept for error messages */
#define WAIT_GARBAGE_MAX 64	/* power-up glitches tolerated while waiting */

struct reader {
	struct link *l;
	long long deadline;
	int garbage, garbage_max;
	int utf8_need;		/* continuation bytes still expected */
	char line[CONSOLE_LINE_MAX + 1];
	size_t len;
	unsigned char tail[CONSOLE_TAIL];
	size_t tail_len;
};

static void reader_init(struct reader *r, struct link *l, int timeout_ms, int garbage_max)
{
	memset(r, 0, sizeof(*r));
	r->l = l;
	r->deadline = link_now_ms() + timeout_ms;
	r->garbage_max = garbage_max;
}

static void remember(struct reader *r, unsigned char c)
{
	if (r->tail_len == sizeof(r->tail)) {
		memmove(r->tail, r->tail + 1, sizeof(r->tail) - 1);
		r->tail_len--;
	}
	r->tail[r->tail_len++] = c;
}

/* The last bytes received, escaped for a message ("nothing" if none). */
static const char *tail_str(const struct reader *r, char *out, size_t cap)
{
	size_t o = 0;

	if (!r->tail_len)
		return "nothing";
	out[o++] = '"';
	for (size_t i = 0; i < r->tail_len && o + 6 < cap; i++) {
		unsigned char c = r->tail[i];

		if (c == '\n' || c == '\r')
			o += (size_t)snprintf(out + o, cap - o, "\\%c", c == '\n' ? 'n' : 'r');
		else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Bytes >= 0x80 are fine only as well-formed UTF-8, checked as they come:
 * a board at the wrong baud rate sends high bytes and may never send '\n'. */
static bool utf8_step(struct reader *r, unsigned char c)
{
	if (r->utf8_need) {
		if ((c & 0xc0) != 0x80) {
			r->utf8_need = 0;
			return false;
		}
		r->utf8_need--;
		return true;
	}
	if (c < 0x80)
		return true;
	if (c >= 0xc2 && c <= 0xdf)
		r->utf8_need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		r->utf8_need = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		r->utf8_need = 3;
	else
		return false;
	return true;
}

static int garbage_fail(struct link *l, const unsigned char *p, size_t n, struct st_error *e)
{
	char hex[8 * 5 + 1] = "";
	size_t o = 0;

	for (size_t i = 0; i < n && i < 8; i++)
		o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%s0x%02x", i ? " " : "", p[i]);
	return st_fail(e, ST_ERR_PROTO,
		       "%s: the board sent non-text bytes (%s): wrong baud rate or the firmware "
		       "crashed", l->port, hex);
}

/* Take bytes of one chunk into the line; returns the count used (the line
 * is complete when it ends at '\n') or a negative error. */
static int take(struct reader *r, const unsigned char *p, size_t n, bool *done,
		struct st_error *e)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		remember(r, c);
		if (c == '\n' || c == '\r') {
			/* a line ending inside a UTF-8 sequence: garbage before it */
			if (r->utf8_need && r->garbage++ >= r->garbage_max)
				return garbage_fail(r->l, p + i, n - i, e);
			r->utf8_need = 0;
			if (c == '\r')
				continue;
			*done = true;
			return (int)i + 1;
		}
		if (is_control(c) || !utf8_step(r, c)) {
			if (r->garbage++ >= r->garbage_max)
				return garbage_fail(r->l, p + i, n - i, e);
			continue;
		}
		if (r->len >= CONSOLE_LINE_MAX)
			return st_fail(e, ST_ERR_LIMIT,
				       "%s: the board sent a line longer than %d bytes", r->l->port,
				       CONSOLE_LINE_MAX);
		r->line[r->len++] = (char)c;
	}
	return (int)n;
}

/* One line, CR stripped, into r->line.  ST_ERR_TIMEOUT at the deadline. */
static int read_line(struct reader *r, struct st_error *e)
{
	unsigned char chunk[CONSOLE_CHUNK];
	bool done = false;
	int n, used;

	r->len = 0;
	while (!done) {
		long long left = r->deadline - link_now_ms();

		n = link_read_some(r->l, chunk, sizeof(chunk), left > 0 ? (int)left : 0, e);
		if (n < 0)
			return n;
		used = take(r, chunk, (size_t)n, &done, e);
		if (used < 0)
			return used;
		if (used < n)
			link_unread(r->l, chunk + used, (size_t)(n - used), NULL);
	}
	r->line[r->len] = '\0';
	return ST_OK;
}

static int cmd_check(const char *cmd, struct st_error *e)
{
	size_t n = strlen(cmd);

	if (n == 0 || n > CONSOLE_CMD_MAX)
		return st_fail(e, ST_ERR_ARG, "console command must be 1..%d characters",
			       CONSOLE_CMD_MAX);
	for (size_t i = 0; i < n; i++)
		if (is_control((unsigned char)cmd[i]))
			return st_fail(e, ST_ERR_ARG,
				       "console command '%s' holds a control character", cmd);
	return ST_OK;
}

/* Append a response line; ST_ERR_LIMIT when the caller's buffer is full. */
static int resp_add(char *resp, size_t cap, size_t *used, const char *line,
		    const char *cmd, struct st_error *e)
{
	size_t n = strlen(line), sep = *used ? 1 : 0;

	if (!resp)
		return ST_OK;
	if (*used + sep + n + 1 > cap)
		return st_fail(e, ST_ERR_LIMIT,
			       "the response to '%s' is longer than %zu bytes", cmd, cap - 1);
	if (sep)
		resp[(*used)++] = '\n';
	memcpy(resp + *used, line, n + 1);
	*used += n;
	return ST_OK;
}

static int cmd_timeout(struct reader *r, const char *cmd, int timeout_ms, struct st_error *e)
{
	char tail[CONSOLE_TAIL * 4 + 3];

	return st_fail(e, ST_ERR_TIMEOUT,
		       "%s: no OK/ERR within %d ms after sending '%s'; last bytes received: %s",
		       r->l->port, timeout_ms, cmd, tail_str(r, tail, sizeof(tail)));
}

/* "#<tag> rest": the tag's value and rest; 0 when the line is untagged. */
static unsigned line_tag(const char *line, const char **rest)
{
	unsigned long v;
	size_t d;

	if (line[0] != '#')
		return 0;
	d = strspn(line + 1, "0123456789");
	if (d < 1 || d > 9 || line[1 + d] != ' ')
		return 0;
	v = strtoul(line + 1, NULL, 10);
	*rest = line + 2 + d;
	return (unsigned)v;
}

static bool is_status(const char *p)
{
	return !strcmp(p, "OK") || !strcmp(p, "ERR") || !strncmp(p, "ERR ", 4);
}

static unsigned next_tag(struct link *l)
{
	if (++l->console_tag > CONSOLE_TAG_MAX || l->console_tag == 0)
		l->console_tag = 1;
	return l->console_tag;
}

int console_cmd(struct link *l, const char *cmd, char *resp, size_t cap,
		int timeout_ms, struct st_error *e)
{
	char out[CONSOLE_CMD_MAX + 16];
	struct reader r;
	size_t used = 0;
	bool first = true, untagged_status = false;
	unsigned tag, got;
	const char *p;
	int ret, n, late = 0;

	if (resp && cap)
		resp[0] = '\0';
	else
		resp = NULL;
	ret = cmd_check(cmd, e);
	if (ret < 0)
		return ret;
	tag = next_tag(l);
	n = snprintf(out, sizeof(out), "#%u %s\n", tag, cmd);
	reader_init(&r, l, timeout_ms, 0);
	link_flush_input(l);
	ret = link_write(l, out, (size_t)n, timeout_ms, e);
	if (ret < 0)
		return ret;
	out[n - 1] = '\0';
	log_dbg("%s: > %s", l->port, out);
	for (;;) {
		ret = read_line(&r, e);
		if (ret == ST_ERR_TIMEOUT && untagged_status)
			return st_fail(e, ST_ERR_PROTO,
				       "%s: the firmware answers without the request's tag (#%u): it "
				       "does not speak the tagged console protocol; load a firmware that "
				       "does (docs/sequences.md, \"Console protocol\")", l->port, tag);
		if (ret == ST_ERR_TIMEOUT)
			return cmd_timeout(&r, cmd, timeout_ms, e);
		if (ret < 0)
			return ret;
		if (!r.len)
			continue;
		log_dbg("%s: < %s", l->port, r.line);
		/* A firmware that echoes its input: drop the echo. */
		if (first && !strcmp(r.line, out)) {
			first = false;
			continue;
		}
		first = false;
		got = line_tag(r.line, &p);
		if (!got) {
			/* not part of any reply: a banner, a log line */
			untagged_status |= is_status(r.line);
			continue;
		}
		if (got != tag) {
			/* a reply to an earlier request that timed out: never ours */
			if (is_status(p))
				log_warn("%s: discarded a late reply to request #%u (%d line%s before "
					 "its %s) while waiting for #%u '%s'", l->port, got, late,
					 late == 1 ? "" : "s", p[0] == 'O' ? "OK" : "ERR", tag, cmd);
			late = is_status(p) ? 0 : late + 1;
			continue;
		}
		if (!strcmp(p, "OK"))
			return ST_OK;
		if (!strcmp(p, "ERR") || !strncmp(p, "ERR ", 4))
			return st_fail(e, ST_ERR_FAIL, "%s", p[3] ? p + 4 : "(no reason given)");
		ret = resp_add(resp, cap, &used, p, cmd, e);
		if (ret < 0)
			return ret;
	}
}

int console_wait_line(struct link *l, const char *pattern, char *line, size_t cap,
		      int timeout_ms, struct st_error *e)
{
	char tail[CONSOLE_TAIL * 4 + 3], why[128];
	struct reader r;
	regex_t re;
	int ret;

	ret = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	if (ret) {
		regerror(ret, &re, why, sizeof(why));
		return st_fail(e, ST_ERR_ARG, "bad pattern /%s/: %s", pattern, why);
	}
	reader_init(&r, l, timeout_ms, WAIT_GARBAGE_MAX);
	for (;;) {
		ret = read_line(&r, e);
		if (ret == ST_ERR_TIMEOUT) {
			ret = st_fail(e, ST_ERR_TIMEOUT,
				      "%s: no line matching /%s/ within %d ms; last bytes received: %s",
				      l->port, pattern, timeout_ms, tail_str(&r, tail, sizeof(tail)));
			break;
		}
		if (ret < 0)
			break;
		log_dbg("%s: < %s", l->port, r.line);
		if (regexec(&re, r.line, 0, NULL, 0) == 0) {
			if (line && cap)
				snprintf(line, cap, "%s", r.line);
			break;
		}
	}
	regfree(&re);
	return ret;
}
