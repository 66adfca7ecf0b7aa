/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The link layer: a byte pipe to a fixture's serial console, under both the
 * firmware loaders and the line consoles.  The backend is chosen from the
 * port name:
 *   "tcp:HOST:PORT"  raw TCP (ser2net, serial device servers)
 *   a pseudo-terminal, or any tty libserialport refuses -> termios backend
 *   anything else     libserialport (real UARTs, USB-UART adapters)
 * (libserialport 0.1.1 refuses ptys: no sysfs entry, no modem lines.)
 * Every call that can block takes a timeout in milliseconds.
 */
#ifndef ST_FIXTURES_LINK_H
#define ST_FIXTURES_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/err.h"

struct link_opts {
	int baud;	/* e.g. 115200 */
	int data_bits;	/* 8 */
	char parity;	/* 'N', 'E', 'O' */
	int stop_bits;	/* 1 or 2 */
};

/* 115200 8N1 */
void link_opts_default(struct link_opts *o);
/* Parse "8n1" / "8E1" into o. */
int link_opts_parse_mode(struct link_opts *o, const char *mode, struct st_error *e);

struct link;

struct link_ops {
	const char *name; /* "serialport", "termios", "tcp" */
	int (*open)(struct link *l, const char *port, const struct link_opts *o,
		    struct st_error *e);
	/* Read up to n bytes; wait at most timeout_ms for the first one.
	 * Returns bytes read (>0), ST_ERR_TIMEOUT, or another error. */
	int (*read_some)(struct link *l, void *buf, size_t n, int timeout_ms,
			 struct st_error *e);
	/* Write all n bytes within timeout_ms. Returns ST_OK or an error. */
	int (*write_all)(struct link *l, const void *buf, size_t n, int timeout_ms,
			 struct st_error *e);
	/* Discard anything buffered for reading. */
	int (*flush_input)(struct link *l);
	/* Optional: change line settings (NULL on tcp). */
	int (*set_opts)(struct link *l, const struct link_opts *o, struct st_error *e);
	void (*close)(struct link *l);
};

/* Bytes read from the wire but not yet consumed (see link_unread). */
#define LINK_PUSHBACK_MAX 1024

struct link {
	const struct link_ops *ops;
	char port[256];
	struct link_opts opts;
	void *priv;
	unsigned long long bytes_in, bytes_out; /* for statistics */
	/* Bytes handed back by a reader that took more than it needed (the
	 * console reads in chunks): link_read_some returns them before asking
	 * the backend again; link_flush_input drops them. */
	unsigned char pushback[LINK_PUSHBACK_MAX];
	size_t pushback_len;
	unsigned console_tag;	/* the last request tag sent (link/console.c) */
};

/* The backends, chosen by link_open from the port name. */
extern const struct link_ops link_serialport_ops;
extern const struct link_ops link_termios_ops;
extern const struct link_ops link_tcp_ops;

int link_open(struct link **out, const char *port, const struct link_opts *o,
	      struct st_error *e);
void link_close(struct link *l);

int link_read_some(struct link *l, void *buf, size_t n, int timeout_ms,
		   struct st_error *e);
/* Read exactly n bytes within timeout_ms in total (ST_ERR_TIMEOUT otherwise). */
int link_read_exact(struct link *l, void *buf, size_t n, int timeout_ms,
		    struct st_error *e);
int link_write(struct link *l, const void *buf, size_t n, int timeout_ms,
	       struct st_error *e);
int link_flush_input(struct link *l);

/* Stop every wait on every link now (SIGINT/SIGTERM, from the thread that
 * handles them): reads return ST_ERR_ABORTED within ~100 ms. Not undone. */
void link_cancel_all(void);
bool link_cancelled(void);
/* Backends without set_opts (tcp) keep o and return ST_OK: the device
 * server's own configuration decides the line settings there. */
int link_set_opts(struct link *l, const struct link_opts *o, struct st_error *e);

/* Give n bytes back to the front of the link's input (they are read again
 * before anything new).  ST_ERR_LIMIT when they do not fit. */
int link_unread(struct link *l, const void *buf, size_t n, struct st_error *e);
/* Which backend link_open would choose for port (no I/O besides stat):
 * &link_tcp_ops, &link_termios_ops for ptys, else &link_serialport_ops. */
const struct link_ops *link_backend_for(const char *port);

/* For the tty backends: ask fd's driver to pass received bytes on at once
 * (ASYNC_LOW_LATENCY; FTDI's latency timer at 1 ms instead of 16).  Returns 1
 * when this call turned it on (link_tty_low_latency_off turns it back off),
 * 0 when it was on, ST_ERR_NOTSUP when the driver has no such setting. */
int link_tty_low_latency_on(int fd);
void link_tty_low_latency_off(int fd);
/* "8N1"-style text for o into buf (at least 4 bytes). */
const char *link_opts_mode_str(const struct link_opts *o, char *buf, size_t cap);
/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
long long link_now_ms(void);

/* Print the serial ports (name, description, USB VID:PID and serial, the
 * stable /dev/serial/by-id name) for a technician writing a fixture file. */
void link_list_ports(FILE *out);

#endif
