// SPDX-License-Identifier: Apache-2.0
/*
 * The board's serial console: a pseudo-terminal plus a model of the UART
 * wire.  A pty moves bytes instantly whatever the baud rate, so the sim keeps
 * two device clocks: rx_clock (when the last received byte had fully arrived
 * at the configured rate) and tx_clock (when the last queued byte will have
 * left).  Every outgoing byte gets a due time and is written to the pty only
 * then, so no reply leaves before its command could have arrived and output
 * is paced at line rate.  --fast zeroes the frame time; the counters still
 * count, so tests can assert modelled time exactly.
 *
 * Output reaches the host in bursts of up to TX_BURST bytes, each burst when
 * its last byte has fully left the wire, as a USB-UART bridge hands bytes
 * over in packets (and a 16550 raises its interrupt at a FIFO level).  The
 * last byte of every reply still arrives exactly on time, which is what a
 * host waits for; the sim wakes once a burst instead of once a byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tools/dut-sim/dutsim.h"

int wire_open(struct sim *s)
{
	struct termios tio;
	const char *name;

	s->master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s->master_fd < 0 || grantpt(s->master_fd) < 0 || unlockpt(s->master_fd) < 0) {
		fprintf(stderr, "dut-sim: cannot open a pseudo-terminal: %s\n", strerror(errno));
		return -1;
	}
	name = ptsname(s->master_fd);
	if (!name || strlen(name) >= sizeof(s->slave_name))
		return -1;
	strcpy(s->slave_name, name);
	/* Holding the slave open ourselves keeps the master from seeing EIO/HUP
	 * whenever the station closes the port between steps. */
	s->slave_fd = open(s->slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->slave_fd < 0 || tcgetattr(s->slave_fd, &tio) < 0) {
		fprintf(stderr, "dut-sim: cannot open %s: %s\n", s->slave_name, strerror(errno));
		return -1;
	}
	cfmakeraw(&tio);
	cfsetispeed(&tio, B115200);
	cfsetospeed(&tio, B115200);
	tcsetattr(s->slave_fd, TCSANOW, &tio);
	if (unlink(s->pty_path) < 0 && errno != ENOENT) {
		fprintf(stderr, "dut-sim: cannot replace %s: %s\n", s->pty_path, strerror(errno));
		return -1;
	}
	if (symlink(s->slave_name, s->pty_path) < 0) {
		fprintf(stderr, "dut-sim: cannot link %s: %s\n", s->pty_path, strerror(errno));
		return -1;
	}
	s->pty_open = true;
	return 0;
}

/* The USB-UART went away: the port path disappears, as on a real fixture. */
void wire_close(struct sim *s)
{
	if (!s->pty_open)
		return;
	unlink(s->pty_path);
	close(s->master_fd);
	close(s->slave_fd);
	s->master_fd = s->slave_fd = -1;
	s->pty_open = false;
	s->close_pending = false;
	s->close_at = 0;
	s->txlen = 0;
	sim_log("pty %s closed", s->pty_path);
}

/* A byte at the rate code in SRAM set (cpu.c): its modelled wire time. */
static void stub_rate_count(struct sim *s)
{
	if (!s->stub_baud)
		return;
	s->stub_rx_bytes++;
	s->stub_wire_ns += (uint64_t)s->frame_bits * 1000000000ull / s->stub_baud;
}

void wire_read(struct sim *s)
{
	uint8_t buf[512];
	ssize_t n;

	while (s->pty_open) {
		n = read(s->master_fd, buf, sizeof(buf));
		if (n <= 0)
			return; /* EAGAIN: drained; EIO cannot happen, we hold the slave */
		uint64_t t = sim_now_ns();

		if (s->rx_clock < t)
			s->rx_clock = t;
		for (ssize_t i = 0; i < n && s->pty_open; i++) {
			s->rx_bytes++;
			stub_rate_count(s);
			s->rx_clock += s->byte_ns;
			s->now_dev = s->rx_clock;
			board_input(s, buf[i]);
		}
	}
}

void wire_send(struct sim *s, const void *buf, size_t len, uint64_t ready)
{
	const uint8_t *p = buf;

	if (s->faults.silent || !s->pty_open)
		return;
	if (s->tx_clock < ready)
		s->tx_clock = ready;
	for (size_t i = 0; i < len; i++) {
		if (s->faults.drop_byte && --s->faults.drop_byte == 0) {
			sim_log("fault drop-byte: dropped 0x%02x", p[i]);
			continue;
		}
		if (s->txlen == TXQ_CAP) {
			sim_log("transmit queue full: %zu bytes lost", len - i);
			return;
		}
		size_t at = (s->txhead + s->txlen) % TXQ_CAP;

		s->tx_clock += s->byte_ns;
		stub_rate_count(s);
		s->txq[at] = p[i];
		s->txdue[at] = s->tx_clock;
		s->txlen++;
		s->tx_bytes++;
	}
}

void wire_printf(struct sim *s, const char *fmt, ...)
{
	char buf[CONSOLE_LINE_MAX * 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	wire_send(s, buf, n, s->now_dev);
}

void wire_drop_pending(struct sim *s)
{
	s->txlen = 0;
}

/* Write every byte whose modelled time has come; the rest waits in txq. */
void wire_flush(struct sim *s)
{
	uint64_t now = sim_now_ns();
	uint8_t out[4096];
	size_t n = 0;

	while (s->pty_open && s->txlen) {
		n = 0;
		while (n < s->txlen && n < sizeof(out)) {
			size_t at = (s->txhead + n) % TXQ_CAP;

			/* --fast has no frame time, but a slow-se delay still holds */
			if (s->txdue[at] > now)
				break;
			out[n++] = s->txq[at];
		}
		if (!n)
			break;
		ssize_t w = write(s->master_fd, out, n);

		if (w <= 0)
			break; /* pty buffer full: POLLOUT will call us again */
		s->txhead = (s->txhead + w) % TXQ_CAP;
		s->txlen -= w;
	}
	/* the cable goes 200 ms after the last byte, so a reader gets that byte */
	if (s->close_pending && !s->txlen) {
		if (!s->close_at)
			s->close_at = now + 200000000ull;
		else if (now >= s->close_at)
			wire_close(s);
	}
}

/* -1: nothing queued; 0: due now; else ns until the next burst is due */
int64_t wire_next_due_ns(const struct sim *s)
{
	size_t last = (s->txlen < TX_BURST ? s->txlen : TX_BURST) - 1;
	uint64_t now, due;

	if (!s->pty_open || !s->txlen)
		return -1;
	now = sim_now_ns();
	due = s->txdue[(s->txhead + last) % TXQ_CAP];
	return due > now ? (int64_t)(due - now) : 0;
}

uint64_t wire_us(const struct sim *s)
{
	return (s->rx_bytes + s->tx_bytes - s->stub_rx_bytes) * s->frame_bits * 1000000ull /
	       s->baud + s->stub_wire_ns / 1000;
}
