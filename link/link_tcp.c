/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Raw TCP backend: "tcp:HOST:PORT" (HOST may be [v6addr]) for consoles served
 * by ser2net or a serial device server.  The line settings belong to the
 * server, so there is no set_opts.  Non-blocking socket, poll() for every
 * wait, Nagle off so single command bytes are not held back.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link/link.h"

#define TCP_CONNECT_MS 5000
#define TCP_FLUSH_MAX (64 * 1024) /* drain at most this much on flush */

struct tcp_priv {
	int fd;
};

static int sock_of(struct link *l)
{
	return ((struct tcp_priv *)l->priv)->fd;
}

/* "tcp:host:port" or "tcp:[::1]:port" -> host, service. */
static int tcp_split(const char *port, char *host, size_t hcap, char *serv, size_t scap,
		     struct st_error *e)
{
	const char *h = port + 4, *colon, *hend;

	if (*h == '[') {
		hend = strchr(h, ']');
		if (!hend || hend[1] != ':')
			goto bad;
		h++;
		colon = hend + 1;
	} else {
		colon = strrchr(h, ':');
		hend = colon;
	}
	if (!colon || hend == h || (size_t)(hend - h) >= hcap || !colon[1] ||
	    strlen(colon + 1) >= scap)
		goto bad;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	strcpy(serv, colon + 1);
	return ST_OK;
bad:
	return st_fail(e, ST_ERR_ARG, "'%s' is not tcp:HOST:PORT (e.g. tcp:10.0.0.5:3001)", port);
}

static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do {
		long long left = deadline - link_now_ms();

		n = poll(&pfd, 1, left > 0 ? (int)left : 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return ST_ERR_IO;
	return n == 0 ? ST_ERR_TIMEOUT : ST_OK;
}

/* Connect one address within the deadline; returns the fd or -errno. */
static int tcp_connect_one(const struct addrinfo *ai, long long deadline)
{
	int fd, err = 0, one = 1;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		if (wait_fd(fd, POLLOUT, deadline) != ST_OK) {
			err = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err)
			goto fail;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	close(fd);
	return -err;
}

static int tcp_open(struct link *l, const char *port, const struct link_opts *o,
		    struct st_error *e)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	long long deadline = link_now_ms() + TCP_CONNECT_MS;
	char host[200], serv[32];
	struct tcp_priv *p;
	int ret, fd = -ETIMEDOUT;

	ret = tcp_split(port, host, sizeof(host), serv, sizeof(serv), e);
	if (ret < 0)
		return ret;
	ret = getaddrinfo(host, serv, &hints, &res);
	if (ret)
		return st_fail(e, ST_ERR_NOTFOUND, "%s: cannot resolve '%s': %s", port, host,
			       gai_strerror(ret));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = tcp_connect_one(ai, deadline);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return st_fail(e, fd == -ETIMEDOUT ? ST_ERR_TIMEOUT : ST_ERR_IO,
			       "%s: cannot connect: %s (is the serial device server up and the "
			       "port right?)", port, strerror(-fd));
	p = malloc(sizeof(*p));
	if (!p) {
		close(fd);
		return st_fail(e, ST_ERR_NOMEM, "out of memory opening %s", port);
	}
	p->fd = fd;
	l->priv = p;
	return ST_OK;
}

static int tcp_read_some(struct link *l, void *buf, size_t n, int timeout_ms,
			 struct st_error *e)
{
	long long deadline = link_now_ms() + timeout_ms;
	ssize_t r;
	int ret;

	for (;;) {
		r = recv(sock_of(l), buf, n, 0);
		if (r > 0)
			return (int)r;
		if (r == 0)
			return st_fail(e, ST_ERR_CLOSED, "%s: the server closed the connection",
				       l->port);
		if (errno != EAGAIN && errno != EINTR)
			return st_fail(e, errno == ECONNRESET ? ST_ERR_CLOSED : ST_ERR_IO,
				       "%s: recv: %s", l->port, strerror(errno));
		ret = wait_fd(sock_of(l), POLLIN, deadline);
		if (ret == ST_ERR_TIMEOUT)
			return st_fail(e, ST_ERR_TIMEOUT, "%s: nothing received within %d ms",
				       l->port, timeout_ms);
		if (ret < 0)
			return st_fail(e, ret, "%s: poll: %s", l->port, strerror(errno));
	}
}

static int tcp_write_all(struct link *l, const void *buf, size_t n, int timeout_ms,
			 struct st_error *e)
{
	long long deadline = link_now_ms() + timeout_ms;
	const unsigned char *p = buf;
	size_t done = 0;
	ssize_t w;
	int ret;

	while (done < n) {
		w = send(sock_of(l), p + done, n - done, MSG_NOSIGNAL);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			return st_fail(e, ST_ERR_CLOSED, "%s: the server closed the connection",
				       l->port);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return st_fail(e, ST_ERR_IO, "%s: send: %s", l->port, strerror(errno));
		ret = wait_fd(sock_of(l), POLLOUT, deadline);
		if (ret == ST_ERR_TIMEOUT)
			return st_fail(e, ST_ERR_TIMEOUT, "%s: sent %zu of %zu bytes within %d ms",
				       l->port, done, n, timeout_ms);
		if (ret < 0)
			return st_fail(e, ret, "%s: poll: %s", l->port, strerror(errno));
	}
	return ST_OK;
}

/* Drop what the server has already delivered; bounded so a chatty board
 * cannot keep us here. */
static int tcp_flush_input(struct link *l)
{
	unsigned char junk[512];
	size_t total = 0;
	ssize_t r;

	while (total < TCP_FLUSH_MAX) {
		r = recv(sock_of(l), junk, sizeof(junk), MSG_DONTWAIT);
		if (r <= 0)
			break;
		total += (size_t)r;
	}
	return ST_OK;
}

static void tcp_close(struct link *l)
{
	struct tcp_priv *p = l->priv;

	if (!p)
		return;
	close(p->fd);
	free(p);
	l->priv = NULL;
}

const struct link_ops link_tcp_ops = {
	.name = "tcp",
	.open = tcp_open,
	.read_some = tcp_read_some,
	.write_all = tcp_write_all,
	.flush_input = tcp_flush_input,
	.set_opts = NULL,
	.close = tcp_close,
};
