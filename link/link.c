/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The link front: picks a backend from the port name, counts bytes, keeps
 * the pushback buffer and builds link_read_exact on read_some with one total
 * deadline.  Backends only move bytes.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#define LOG_PREFIX "link"
#include "common/log.h"
#include "link/link.h"

/* Linux: UNIX98 pty slaves live on majors 136..143 (devices.txt). */
#define PTY_SLAVE_MAJOR_FIRST 136
#define PTY_SLAVE_MAJOR_LAST 143

long long link_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void link_opts_default(struct link_opts *o)
{
	o->baud = 115200;
	o->data_bits = 8;
	o->parity = 'N';
	o->stop_bits = 1;
}

int link_opts_parse_mode(struct link_opts *o, const char *mode, struct st_error *e)
{
	char p;

	if (!mode || strlen(mode) != 3 || mode[0] < '5' || mode[0] > '8')
		goto bad;
	p = (char)toupper((unsigned char)mode[1]);
	if (p != 'N' && p != 'E' && p != 'O')
		goto bad;
	if (mode[2] != '1' && mode[2] != '2')
		goto bad;
	o->data_bits = mode[0] - '0';
	o->parity = p;
	o->stop_bits = mode[2] - '0';
	return ST_OK;
bad:
	return st_fail(e, ST_ERR_ARG,
		       "line mode '%s' is not DATA-PARITY-STOP like 8N1 or 8E1 "
		       "(data 5..8, parity N/E/O, stop 1 or 2)", mode ? mode : "");
}

const char *link_opts_mode_str(const struct link_opts *o, char *buf, size_t cap)
{
	snprintf(buf, cap, "%d%c%d", o->data_bits, o->parity, o->stop_bits);
	return buf;
}

/* A pty slave, directly or through a symlink (dut-sim links its console). */
static bool port_is_pty(const char *port)
{
	struct stat st;
	char *real;
	bool pty = false;

	real = realpath(port, NULL);
	if (real) {
		pty = !strncmp(real, "/dev/pts/", 9);
		free(real);
	}
	if (!pty && stat(port, &st) == 0 && S_ISCHR(st.st_mode))
		pty = major(st.st_rdev) >= PTY_SLAVE_MAJOR_FIRST &&
		      major(st.st_rdev) <= PTY_SLAVE_MAJOR_LAST;
	return pty;
}

const struct link_ops *link_backend_for(const char *port)
{
	if (!strncmp(port, "tcp:", 4))
		return &link_tcp_ops;
	if (port_is_pty(port))
		return &link_termios_ops;
	return &link_serialport_ops;
}

static int link_try(struct link *l, const struct link_ops *ops, const char *port,
		    const struct link_opts *o, struct st_error *e)
{
	l->ops = ops;
	l->priv = NULL;
	return ops->open(l, port, o, e);
}

int link_open(struct link **out, const char *port, const struct link_opts *o,
	      struct st_error *e)
{
	struct link_opts def;
	struct link *l;
	int ret;

	*out = NULL;
	if (!port || !*port)
		return st_fail(e, ST_ERR_ARG, "no console port given (set 'port' in the fixture file)");
	if (strlen(port) >= sizeof(l->port))
		return st_fail(e, ST_ERR_ARG, "port name '%.40s...' is too long", port);
	if (!o) {
		link_opts_default(&def);
		o = &def;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return st_fail(e, ST_ERR_NOMEM, "out of memory opening %s", port);
	strcpy(l->port, port);
	l->opts = *o;
	ret = link_try(l, link_backend_for(port), port, o, e);
	/* libserialport refuses ttys it cannot find in sysfs: use termios. */
	if (ret == ST_ERR_NOTSUP && l->ops == &link_serialport_ops) {
		log_dbg("%s: libserialport refused it (%s); using termios", port, e ? e->msg : "");
		ret = link_try(l, &link_termios_ops, port, o, e);
	}
	if (ret < 0) {
		free(l);
		return ret;
	}
	log_dbg("%s: open (%s)", port, l->ops->name);
	*out = l;
	return ST_OK;
}

void link_close(struct link *l)
{
	if (!l)
		return;
	if (l->ops && l->ops->close)
		l->ops->close(l);
	free(l);
}

#define LINK_SLICE_MS 100

int link_read_some(struct link *l, void *buf, size_t n, int timeout_ms,
		   struct st_error *e)
{
	int ret;

	if (n == 0)
		return 0;
	if (l->pushback_len) {
		size_t k = l->pushback_len < n ? l->pushback_len : n;

		memcpy(buf, l->pushback, k);
		memmove(l->pushback, l->pushback + k, l->pushback_len - k);
		l->pushback_len -= k;
		return (int)k;
	}
	if (n > (size_t)1 << 30)
		n = (size_t)1 << 30; /* the return value is an int */
	/* Wait in slices so that a stop (SIGINT) ends the wait at once rather
	 * than after the step's whole timeout. */
	long long deadline = link_now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);

	for (;;) {
		long long left = deadline - link_now_ms();

		if (link_cancelled())
			return st_fail(e, ST_ERR_ABORTED, "%s: stopped by the operator", l->port);
		if (left < 0)
			left = 0;
		ret = l->ops->read_some(l, buf, n, left > LINK_SLICE_MS ? LINK_SLICE_MS : (int)left, e);
		if (ret != ST_ERR_TIMEOUT || left <= LINK_SLICE_MS)
			break;
	}
	if (ret == ST_ERR_TIMEOUT)
		return st_fail(e, ST_ERR_TIMEOUT, "%s: nothing received within %d ms", l->port,
			       timeout_ms);
	if (ret > 0)
		l->bytes_in += (unsigned)ret;
	return ret;
}

/* Set by the station's signal thread, read by every fixture's thread: a C11
 * atomic, not volatile (which orders nothing between threads). */
static atomic_bool cancelled;

void link_cancel_all(void)
{
	atomic_store(&cancelled, true);
}

bool link_cancelled(void)
{
	return atomic_load(&cancelled);
}

/*
 * The rest of a block cannot arrive faster than the line carries it: sleep
 * through its wire time instead of waking for every byte (a 256-byte read at
 * 115200 baud is 25 ms; polling per byte costs ~10x the CPU).  The sleep
 * ends while the last LINK_TAIL_BYTES are still on the wire: a USB-UART hands
 * bytes over in packets (64 bytes at full speed), so the end of a block can
 * arrive in one piece, and a sleep must never run past it.
 */
#define LINK_TAIL_BYTES 64

static void wait_wire_time(const struct link *l, size_t bytes, long long deadline)
{
	int bits = 1 + l->opts.data_bits + (l->opts.parity != 'N') + l->opts.stop_bits;
	long long us, left_us;
	struct timespec ts;

	if (l->opts.baud <= 0 || bytes <= LINK_TAIL_BYTES)
		return;
	us = (long long)(bytes - LINK_TAIL_BYTES) * bits * 1000000LL / l->opts.baud;
	left_us = (deadline - link_now_ms()) * 1000;
	if (us > left_us)
		us = left_us;
	if (us < 200)
		return;
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	nanosleep(&ts, NULL);
}

int link_read_exact(struct link *l, void *buf, size_t n, int timeout_ms,
		    struct st_error *e)
{
	long long deadline = link_now_ms() + timeout_ms;
	size_t got = 0;
	int ret;

	while (got < n) {
		long long left = deadline - link_now_ms();

		if (left < 0)
			left = 0;
		ret = link_read_some(l, (unsigned char *)buf + got, n - got, (int)left, e);
		if (ret == ST_ERR_TIMEOUT)
			return st_fail(e, ST_ERR_TIMEOUT,
				       "%s: got %zu of %zu bytes within %d ms", l->port, got, n,
				       timeout_ms);
		if (ret < 0)
			return ret;
		got += (size_t)ret;
		if (got < n)
			wait_wire_time(l, n - got, deadline);
	}
	return ST_OK;
}

int link_write(struct link *l, const void *buf, size_t n, int timeout_ms,
	       struct st_error *e)
{
	int ret;

	if (n == 0)
		return ST_OK;
	ret = l->ops->write_all(l, buf, n, timeout_ms < 0 ? 0 : timeout_ms, e);
	if (ret == ST_OK)
		l->bytes_out += n;
	return ret;
}

int link_flush_input(struct link *l)
{
	l->pushback_len = 0;
	return l->ops->flush_input(l);
}

int link_set_opts(struct link *l, const struct link_opts *o, struct st_error *e)
{
	char mode[8];
	int ret;

	if (!l->ops->set_opts) {
		log_info("%s: line settings (%d %s) are the device server's to set", l->port,
			 o->baud, link_opts_mode_str(o, mode, sizeof(mode)));
		l->opts = *o;
		return ST_OK;
	}
	ret = l->ops->set_opts(l, o, e);
	if (ret == ST_OK)
		l->opts = *o;
	return ret;
}

int link_unread(struct link *l, const void *buf, size_t n, struct st_error *e)
{
	if (n > sizeof(l->pushback) - l->pushback_len)
		return st_fail(e, ST_ERR_LIMIT, "%s: %zu bytes do not fit the pushback buffer",
			       l->port, n);
	memmove(l->pushback + n, l->pushback, l->pushback_len);
	memcpy(l->pushback, buf, n);
	l->pushback_len += n;
	return ST_OK;
}
