/* SPDX-License-Identifier: Apache-2.0 */
/*
 * termios backend: pseudo-terminals (dut-sim's console) and ttys that
 * libserialport 0.1.1 refuses (no sysfs entry).  Non-blocking fd + poll(),
 * so every wait has a timeout.  A pty carries no parity or baud rate; we set
 * what is asked and only warn when a pty does not take it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define LOG_PREFIX "link"
#include "common/log.h"
#include "link/link.h"

struct tty_priv {
	int fd;
	bool low_latency_set;	/* we turned it on: turn it off at close */
};

static const struct {
	int baud;
	speed_t code;
} bauds[] = {
	{ 1200, B1200 }, { 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 },
	{ 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 },
	{ 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 },
	{ 500000, B500000 }, { 576000, B576000 }, { 921600, B921600 },
	{ 1000000, B1000000 }, { 1500000, B1500000 }, { 2000000, B2000000 },
	{ 3000000, B3000000 }, { 4000000, B4000000 },
};

static int fd_of(struct link *l)
{
	return ((struct tty_priv *)l->priv)->fd;
}

static int tty_apply(struct link *l, int fd, const struct link_opts *o, struct st_error *e)
{
	static const tcflag_t sizes[] = { CS5, CS6, CS7, CS8 };
	struct termios t;
	speed_t code = 0;

	for (size_t i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++)
		if (bauds[i].baud == o->baud)
			code = bauds[i].code;
	if (!code)
		return st_fail(e, ST_ERR_ARG, "%s: baud rate %d is not supported (use 9600..4000000)",
			       l->port, o->baud);
	if (o->data_bits < 5 || o->data_bits > 8)
		return st_fail(e, ST_ERR_ARG, "%s: %d data bits", l->port, o->data_bits);
	if (tcgetattr(fd, &t) < 0)
		return st_fail(e, ST_ERR_IO, "%s: not a terminal (%s)", l->port, strerror(errno));
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
	t.c_cflag |= sizes[o->data_bits - 5];
	if (o->parity == 'E' || o->parity == 'O')
		t.c_cflag |= PARENB | (o->parity == 'O' ? PARODD : 0);
	if (o->stop_bits == 2)
		t.c_cflag |= CSTOPB;
	t.c_iflag &= ~(IXON | IXOFF | IXANY);
	/* VMIN 1: with O_NONBLOCK an empty read is EAGAIN, and 0 means hung up
	 * (VMIN 0 would make an empty read return 0 too). */
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	cfsetispeed(&t, code);
	cfsetospeed(&t, code);
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		int err = errno;

		/* A pty drops PARENB (glibc then says EINVAL): it carries no
		 * parity, so that is expected there; a real tty must take it. */
		if (link_backend_for(l->port) == &link_termios_ops) {
			log_dbg("%s: a pty does not take all line settings (%s)", l->port,
				strerror(err));
			return ST_OK;
		}
		return st_fail(e, ST_ERR_IO, "%s: cannot set line settings: %s", l->port,
			       strerror(err));
	}
	return ST_OK;
}

static int tty_open(struct link *l, const char *port, const struct link_opts *o,
		    struct st_error *e)
{
	struct tty_priv *p;
	int fd, ret;

	fd = open(port, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT)
			return st_fail(e, ST_ERR_NOTFOUND,
				       "port %s does not exist: check the cable and the fixture "
				       "file ('station fixtures' lists the ports)", port);
		if (err == EACCES)
			return st_fail(e, ST_ERR_IO,
				       "no permission to open %s: add the user to the 'dialout' group",
				       port);
		return st_fail(e, ST_ERR_IO, "cannot open %s: %s", port, strerror(err));
	}
	ret = tty_apply(l, fd, o, e);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	p = malloc(sizeof(*p));
	if (!p) {
		close(fd);
		return st_fail(e, ST_ERR_NOMEM, "out of memory opening %s", port);
	}
	p->fd = fd;
	p->low_latency_set = link_tty_low_latency_on(fd) == 1;
	l->priv = p;
	tcflush(fd, TCIFLUSH);
	return ST_OK;
}

/* Wait for events on fd until the deadline; 0 = ready, else an st error. */
static int tty_wait(struct link *l, short events, long long deadline, struct st_error *e)
{
	struct pollfd pfd = { .fd = fd_of(l), .events = events };
	int n;

	for (;;) {
		long long left = deadline - link_now_ms();

		n = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (n > 0)
			return ST_OK;
		if (n == 0)
			return ST_ERR_TIMEOUT;
		if (errno != EINTR)
			return st_fail(e, ST_ERR_IO, "%s: poll: %s", l->port, strerror(errno));
	}
}

static int tty_closed(struct link *l, struct st_error *e)
{
	return st_fail(e, ST_ERR_CLOSED,
		       "%s: the other end closed the line (board or simulator gone)", l->port);
}

static int tty_read_some(struct link *l, void *buf, size_t n, int timeout_ms,
			 struct st_error *e)
{
	long long deadline = link_now_ms() + timeout_ms;
	ssize_t r;
	int ret;

	for (;;) {
		r = read(fd_of(l), buf, n);
		if (r > 0)
			return (int)r;
		/* A pty whose master is gone reads as EOF or EIO. */
		if (r == 0 || errno == EIO)
			return tty_closed(l, e);
		if (errno != EAGAIN && errno != EINTR)
			return st_fail(e, ST_ERR_IO, "%s: read: %s", l->port, strerror(errno));
		ret = tty_wait(l, POLLIN, deadline, e);
		if (ret == ST_ERR_TIMEOUT)
			return st_fail(e, ST_ERR_TIMEOUT, "%s: nothing received within %d ms",
				       l->port, timeout_ms);
		if (ret < 0)
			return ret;
	}
}

static int tty_write_all(struct link *l, const void *buf, size_t n, int timeout_ms,
			 struct st_error *e)
{
	long long deadline = link_now_ms() + timeout_ms;
	const unsigned char *p = buf;
	size_t done = 0;
	ssize_t w;
	int ret;

	while (done < n) {
		w = write(fd_of(l), p + done, n - done);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EIO)
			return tty_closed(l, e);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return st_fail(e, ST_ERR_IO, "%s: write: %s", l->port, strerror(errno));
		ret = tty_wait(l, POLLOUT, deadline, e);
		if (ret == ST_ERR_TIMEOUT)
			return st_fail(e, ST_ERR_TIMEOUT,
				       "%s: wrote %zu of %zu bytes within %d ms (nobody reading?)",
				       l->port, done, n, timeout_ms);
		if (ret < 0)
			return ret;
	}
	return ST_OK;
}

static int tty_flush_input(struct link *l)
{
	return tcflush(fd_of(l), TCIFLUSH) < 0 ? ST_ERR_IO : ST_OK;
}

static int tty_set_opts(struct link *l, const struct link_opts *o, struct st_error *e)
{
	return tty_apply(l, fd_of(l), o, e);
}

static void tty_close(struct link *l)
{
	struct tty_priv *p = l->priv;

	if (!p)
		return;
	if (p->low_latency_set)
		link_tty_low_latency_off(p->fd);
	close(p->fd);
	free(p);
	l->priv = NULL;
}

const struct link_ops link_termios_ops = {
	.name = "termios",
	.open = tty_open,
	.read_some = tty_read_some,
	.write_all = tty_write_all,
	.flush_input = tty_flush_input,
	.set_opts = tty_set_opts,
	.close = tty_close,
};
