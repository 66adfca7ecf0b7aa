// SPDX-License-Identifier: Apache-2.0
/*
 * `dut-sim --console PTY [--timeout S] [CMD]`: a tiny console client for
 * shell tests.  Sends CMD (if any) as one line, then prints the lines that
 * come back, CR removed, up to and including "OK"/"OK ..."/"ERR ..." (or
 * just one line without CMD).  It reads one byte at a time and never touches
 * the port's termios, so whatever it does not consume stays queued for the
 * next reader; bash's own `read` cannot promise either on a raw tty.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/dut-sim/dutsim.h"

static uint64_t now_ms(void)
{
	return sim_now_ns() / 1000000;
}

/* one line into buf (CR LF removed); -1 on timeout or error */
static int read_line(int fd, char *buf, size_t cap, uint64_t deadline)
{
	size_t len = 0;
	char c;

	for (;;) {
		uint64_t t = now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (t >= deadline || poll(&p, 1, deadline - t) <= 0)
			return -1;
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n')
			break;
		if (c != '\r' && len < cap - 1)
			buf[len++] = c;
	}
	buf[len] = '\0';
	return 0;
}

static bool final_line(const char *l)
{
	return !strcmp(l, "OK") || !strncmp(l, "OK ", 3) || !strncmp(l, "ERR", 3);
}

int term_client(int argc, char **argv)
{
	const char *pty = NULL, *cmd = NULL;
	double secs = 5;
	char line[4096];
	int fd, ret = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--console") && i + 1 < argc)
			pty = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!cmd)
			cmd = argv[i];
		else
			pty = NULL;
	}
	if (!pty || secs <= 0) {
		fprintf(stderr, "usage: dut-sim --console PTY [--timeout SECS] [CMD]\n");
		return 2;
	}
	fd = open(pty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "dut-sim: cannot open %s: %s\n", pty, strerror(errno));
		return 2;
	}
	if (cmd) {
		size_t n = strlen(cmd);

		if (write(fd, cmd, n) != (ssize_t)n || write(fd, "\n", 1) != 1) {
			fprintf(stderr, "dut-sim: cannot write to %s: %s\n", pty, strerror(errno));
			close(fd);
			return 2;
		}
	}
	for (;;) {
		/* the timeout applies to each line, as a station's console would */
		if (read_line(fd, line, sizeof(line), now_ms() + (uint64_t)(secs * 1000)) < 0) {
			fprintf(stderr, "dut-sim: no line from %s within %g s\n", pty, secs);
			ret = 1;
			break;
		}
		printf("%s\n", line);
		if (!cmd || final_line(line))
			break;
	}
	close(fd);
	return ret;
}
