/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libserialport backend: real UARTs and USB-UART adapters.  libserialport
 * 0.1.1 refuses ttys it cannot find in sysfs (ptys: SP_ERR_ARG from
 * sp_get_port_by_name, ENOTTY from sp_open); we answer ST_ERR_NOTSUP then,
 * and link_open falls back to the termios backend.
 * libserialport treats a timeout of 0 as "wait forever"; we never pass 0.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libserialport.h>

#include "link/link.h"

struct spl_priv {
	struct sp_port *sp;
	bool low_latency_set;	/* we turned it on: turn it off at close */
};

static struct sp_port *port_of(struct link *l)
{
	return ((struct spl_priv *)l->priv)->sp;
}

/* Translate a libserialport failure, keeping its own text. */
static int sp_fail(struct st_error *e, enum sp_return r, const char *port, const char *what)
{
	char *msg;
	int ret;

	if (r == SP_ERR_MEM)
		return st_fail(e, ST_ERR_NOMEM, "%s: %s: out of memory", port, what);
	if (r == SP_ERR_FAIL) {
		msg = sp_last_error_message();
		ret = st_fail(e, ST_ERR_IO, "%s: %s: %s", port, what, msg ? msg : "failed");
		sp_free_error_message(msg);
		return ret;
	}
	if (r == SP_ERR_SUPP)
		return st_fail(e, ST_ERR_NOTSUP, "%s: %s: not supported by this port", port, what);
	return st_fail(e, ST_ERR_ARG, "%s: %s: invalid argument", port, what);
}

static int sp_apply(struct link *l, const struct link_opts *o, struct st_error *e)
{
	struct sp_port *sp = port_of(l);
	enum sp_parity par = o->parity == 'E' ? SP_PARITY_EVEN :
			     o->parity == 'O' ? SP_PARITY_ODD : SP_PARITY_NONE;
	enum sp_return r;

	r = sp_set_baudrate(sp, o->baud);
	if (r != SP_OK)
		return sp_fail(e, r, l->port, "set baud rate");
	r = sp_set_bits(sp, o->data_bits);
	if (r != SP_OK)
		return sp_fail(e, r, l->port, "set data bits");
	r = sp_set_parity(sp, par);
	if (r != SP_OK)
		return sp_fail(e, r, l->port, "set parity");
	r = sp_set_stopbits(sp, o->stop_bits);
	if (r != SP_OK)
		return sp_fail(e, r, l->port, "set stop bits");
	r = sp_set_flowcontrol(sp, SP_FLOWCONTROL_NONE);
	if (r != SP_OK)
		return sp_fail(e, r, l->port, "set flow control");
	return ST_OK;
}

static void spl_close(struct link *l)
{
	struct spl_priv *p = l->priv;
	int fd;

	if (!p)
		return;
	if (p->low_latency_set && sp_get_port_handle(p->sp, &fd) == SP_OK)
		link_tty_low_latency_off(fd);
	sp_close(p->sp);
	sp_free_port(p->sp);
	free(p);
	l->priv = NULL;
}

static int spl_open(struct link *l, const char *port, const struct link_opts *o,
		    struct st_error *e)
{
	struct sp_port *sp = NULL;
	struct spl_priv *p;
	enum sp_return r;
	int ret, fd;

	r = sp_get_port_by_name(port, &sp);
	if (r == SP_ERR_ARG)
		return st_fail(e, ST_ERR_NOTSUP, "%s: unknown to libserialport", port);
	if (r != SP_OK)
		return sp_fail(e, r, port, "look up port");
	r = sp_open(sp, SP_MODE_READ_WRITE);
	if (r != SP_OK) {
		int err = errno;

		sp_free_port(sp);
		if (err == ENOTTY)
			return st_fail(e, ST_ERR_NOTSUP, "%s: libserialport cannot drive it", port);
		if (err == ENOENT)
			return st_fail(e, ST_ERR_NOTFOUND,
				       "port %s does not exist: check the cable and the fixture "
				       "file ('station fixtures' lists the ports)", port);
		if (err == EACCES)
			return st_fail(e, ST_ERR_IO,
				       "no permission to open %s: add the user to the 'dialout' group",
				       port);
		return sp_fail(e, r, port, "open");
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		sp_close(sp);
		sp_free_port(sp);
		return st_fail(e, ST_ERR_NOMEM, "out of memory opening %s", port);
	}
	p->sp = sp;
	l->priv = p;
	ret = sp_apply(l, o, e);
	if (ret < 0) {
		spl_close(l);
		return ret;
	}
	if (sp_get_port_handle(sp, &fd) == SP_OK)
		p->low_latency_set = link_tty_low_latency_on(fd) == 1;
	sp_flush(sp, SP_BUF_INPUT);
	return ST_OK;
}

static int spl_read_some(struct link *l, void *buf, size_t n, int timeout_ms,
			 struct st_error *e)
{
	enum sp_return r;

	if (timeout_ms > 0)
		r = sp_blocking_read_next(port_of(l), buf, n, (unsigned)timeout_ms);
	else
		r = sp_nonblocking_read(port_of(l), buf, n);
	if (r < 0)
		return sp_fail(e, r, l->port, "read");
	if (r == 0)
		return st_fail(e, ST_ERR_TIMEOUT, "%s: nothing received within %d ms", l->port,
			       timeout_ms);
	return (int)r;
}

static int spl_write_all(struct link *l, const void *buf, size_t n, int timeout_ms,
			 struct st_error *e)
{
	enum sp_return r;

	r = sp_blocking_write(port_of(l), buf, n, timeout_ms > 0 ? (unsigned)timeout_ms : 1);
	if (r < 0)
		return sp_fail(e, r, l->port, "write");
	if ((size_t)r < n)
		return st_fail(e, ST_ERR_TIMEOUT, "%s: wrote %d of %zu bytes within %d ms",
			       l->port, (int)r, n, timeout_ms);
	return ST_OK;
}

static int spl_flush_input(struct link *l)
{
	return sp_flush(port_of(l), SP_BUF_INPUT) == SP_OK ? ST_OK : ST_ERR_IO;
}


const struct link_ops link_serialport_ops = {
	.name = "serialport",
	.open = spl_open,
	.read_some = spl_read_some,
	.write_all = spl_write_all,
	.flush_input = spl_flush_input,
	.set_opts = sp_apply,
	.close = spl_close,
};
