// SPDX-License-Identifier: Apache-2.0
/*
 * instr-sim --pty: the instrument's RS-232 port as a pseudo-terminal.
 * Bench instruments with a serial port speak the same SCPI messages there:
 * 8 data bits, 1 stop bit, no parity, no flow control, a message ended by
 * LF, at a rate chosen on the front panel, 9600 by default (B&K Precision
 * 5492B user manual, 5.2.2-5.2.3; the Wayne Kerr 4310 manual, 5.1.2), and
 * answer readings over RS-232 ended by CR LF (Agilent 34401A user's guide,
 * ch. 4, "Output Data Formats").
 *
 * A pty carries bytes whatever rate its two sides set, so the simulator
 * holds the slave side open itself and compares the rate the station set
 * on it with the instrument's: at another rate a real UART reads framing
 * errors and garbage.  What a given instrument then does with that garbage
 * varies (we do not know of a document that says); the simulator drops the
 * message and answers nothing, as most do, so the station times out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tools/instr-sim/instr.h"

static speed_t speed_of(int baud)
{
	static const struct { int baud; speed_t sp; } rates[] = {
		{ 1200, B1200 }, { 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 },
		{ 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 }, { 115200, B115200 },
	};

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i].baud == baud)
			return rates[i].sp;
	return B0;
}

int serial_open(struct serial *s, int baud)
{
	struct termios tio;
	const char *name;

	s->baud = baud;
	s->speed = speed_of(baud);
	if (s->speed == B0) {
		fprintf(stderr, "instr-sim: --baud %d: one of 1200, 2400, 4800, 9600, 19200, "
			"38400, 57600, 115200\n", baud);
		return -1;
	}
	s->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->master < 0 || grantpt(s->master) < 0 || unlockpt(s->master) < 0 ||
	    !(name = ptsname(s->master))) {
		fprintf(stderr, "instr-sim: cannot make a pty: %s\n", strerror(errno));
		return -1;
	}
	snprintf(s->path, sizeof(s->path), "%s", name);
	/* held open: the station's closing its side is not a hang-up here, and
	 * the slave's settings (the rate the station chose) can be read */
	s->slave = open(s->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->slave < 0 || tcgetattr(s->slave, &tio) < 0) {
		fprintf(stderr, "instr-sim: cannot open %s: %s\n", s->path, strerror(errno));
		return -1;
	}
	cfmakeraw(&tio);
	cfsetispeed(&tio, s->speed);
	cfsetospeed(&tio, s->speed);
	if (tcsetattr(s->slave, TCSANOW, &tio) < 0) {
		fprintf(stderr, "instr-sim: cannot set %s: %s\n", s->path, strerror(errno));
		return -1;
	}
	return 0;
}

bool serial_rate_ok(const struct serial *s)
{
	struct termios tio;

	return tcgetattr(s->slave, &tio) == 0 && cfgetospeed(&tio) == s->speed;
}
