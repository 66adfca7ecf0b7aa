/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Low latency on real serial ports.  A USB-UART holds received bytes until a
 * USB packet fills or its latency timer runs out: FTDI's is 16 ms, the
 * default of Linux's ftdi_sio since 4.14.  A stop-and-wait protocol waits
 * that long for every short reply: a 64 KiB AN3155 load waits for 768 ACKs,
 * ~12 s on top of its ~9 s of line time.  ASYNC_LOW_LATENCY (what setserial's
 * low_latency sets) makes ftdi_sio run the timer at 1 ms and other drivers
 * pass bytes on at once.  The backends turn it on when they open a tty and
 * back off when they close it, if it was off; ptys have no such setting.
 */
#include <errno.h>
#include <linux/serial.h>
#include <string.h>
#include <sys/ioctl.h>

#define LOG_PREFIX "link"
#include "common/log.h"
#include "link/link.h"

int link_tty_low_latency_on(int fd)
{
	struct serial_struct ss;

	if (ioctl(fd, TIOCGSERIAL, &ss) < 0)
		return ST_ERR_NOTSUP;	/* a pty, or a driver without the setting */
	if (ss.flags & ASYNC_LOW_LATENCY)
		return 0;
	ss.flags |= ASYNC_LOW_LATENCY;
	if (ioctl(fd, TIOCSSERIAL, &ss) < 0) {
		log_dbg("cannot set low latency (%s): replies may wait for the USB-UART's "
			"latency timer", strerror(errno));
		return ST_ERR_NOTSUP;
	}
	return 1;
}

void link_tty_low_latency_off(int fd)
{
	struct serial_struct ss;

	if (ioctl(fd, TIOCGSERIAL, &ss) < 0 || !(ss.flags & ASYNC_LOW_LATENCY))
		return;
	ss.flags &= ~ASYNC_LOW_LATENCY;
	if (ioctl(fd, TIOCSSERIAL, &ss) < 0)
		log_dbg("cannot restore the port's latency setting (%s)", strerror(errno));
}
