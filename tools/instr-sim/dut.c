// SPDX-License-Identifier: Apache-2.0
/*
 * dut-sim's control socket, as a bench wires a PSU's output to the board's
 * supply and a DMM's probe to a rail: "get power" / "set power 0|1", one
 * reply line ("OK", "OK <value>", "ERR <reason>"), 2 s per exchange.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tools/instr-sim/instr.h"

#define DUT_TIMEOUT_MS 2000

static int exchange(const char *path, const char *cmd, char *reply, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = 0;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		close(fd);
		return -1;
	}
	while (n + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t got;

		if (poll(&p, 1, DUT_TIMEOUT_MS) != 1)
			break;
		got = read(fd, reply + n, 1);
		if (got <= 0 || reply[n] == '\n')
			break;
		n++;
	}
	reply[n] = '\0';
	close(fd);
	return strncmp(reply, "OK", 2) ? -1 : 0;
}

int dut_get_power(const char *ctrl)
{
	char r[64];

	if (exchange(ctrl, "get power\n", r, sizeof(r)) < 0)
		return -1;
	return !strcmp(r, "OK 1");
}

int dut_set_power(const char *ctrl, bool on)
{
	char r[64];

	return exchange(ctrl, on ? "set power 1\n" : "set power 0\n", r, sizeof(r));
}
