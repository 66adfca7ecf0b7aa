// SPDX-License-Identifier: Apache-2.0
/*
 * The control socket: what the fixture's GPIO pins are on a real station
 * (power, BOOT, RESET, the lid sensor, the pass/fail LEDs), plus status and
 * fault injection for tests.  AF_UNIX stream, several clients, one text
 * command per line, one reply line each: "OK", "OK <value>" or "ERR <reason>".
 * Also the client side, `dut-sim --ctl SOCK CMD...`, so tests need nothing else.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tools/dut-sim/dutsim.h"

#define MAX_CLIENTS 16
#define CMD_MAX 512
#define CLIENT_TIMEOUT_MS 5000

struct client {
	int fd;
	char buf[CMD_MAX];
	size_t len;
	bool overflow;
};

static int listen_fd = -1;
static struct client clients[MAX_CLIENTS];
static int n_clients;

static const char *const line_names[LINE_COUNT] = {
	[LINE_POWER] = "power", [LINE_BOOT] = "boot", [LINE_RESET] = "reset",
	[LINE_LID] = "lid", [LINE_LED_PASS] = "led-pass", [LINE_LED_FAIL] = "led-fail",
};

static int sock_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		fprintf(stderr, "dut-sim: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int ctrl_listen(struct sim *s)
{
	struct sockaddr_un sa;
	struct stat st;

	if (sock_addr(s->ctrl_path, &sa) < 0)
		return -1;
	/* a stale socket from a killed sim; never remove anything else */
	if (lstat(s->ctrl_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(s->ctrl_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listen_fd, 8) < 0) {
		fprintf(stderr, "dut-sim: cannot listen on %s: %s\n", s->ctrl_path,
			strerror(errno));
		return -1;
	}
	return 0;
}

void ctrl_close(struct sim *s)
{
	for (int i = 0; i < n_clients; i++)
		close(clients[i].fd);
	n_clients = 0;
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(s->ctrl_path);
	}
	listen_fd = -1;
}

int ctrl_pollfds(struct sim *s, struct pollfd *pfds, int max)
{
	int n = 0;

	if (listen_fd < 0 || max < n_clients + 1)
		return 0;
	pfds[n++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
	for (int i = 0; i < n_clients; i++)
		pfds[n++] = (struct pollfd){ .fd = clients[i].fd, .events = POLLIN };
	return n;
}

static int find_line(const char *name)
{
	for (int i = 0; i < LINE_COUNT; i++)
		if (!strcmp(line_names[i], name))
			return i;
	return -1;
}

static void printable(char *out, size_t cap, const char *in)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < cap; i++)
		out[i] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789._+-", in[i]) ? in[i] : '?';
	out[i] = '\0';
}

static void status(struct sim *s, char *out, size_t cap)
{
	struct fwimg_hdr h;
	char fw[40] = "none", ver[FWIMG_VERSION_LEN + 1], faults[256], stub[200];

	if (board_flash_image(s, &h) == 0) {
		printable(ver, sizeof(ver), h.version);
		snprintf(fw, sizeof(fw), "%s-%s", fwimg_kind_name(h.kind), ver);
	}
	fault_describe(s, faults, sizeof(faults));
	cpu_describe(s, stub, sizeof(stub));
	snprintf(out, cap,
		 "OK power=%d boot=%d reset=%d lid=%d led-pass=%d led-fail=%d mode=%s fw=%s "
		 "serial=%s pty=%s rx_bytes=%llu tx_bytes=%llu wire_us=%llu prog_us=%llu "
		 "erase_us=%llu flash_us=%llu %s faults=%s",
		 s->line[LINE_POWER], s->line[LINE_BOOT], s->line[LINE_RESET],
		 s->line[LINE_LID], s->line[LINE_LED_PASS], s->line[LINE_LED_FAIL],
		 board_mode_name(s->mode), fw, s->serial, s->pty_open ? "open" : "closed",
		 (unsigned long long)s->rx_bytes, (unsigned long long)s->tx_bytes,
		 (unsigned long long)wire_us(s), (unsigned long long)s->prog_us,
		 (unsigned long long)s->erase_us,
		 (unsigned long long)(s->prog_us + s->erase_us), stub, faults);
}

static void command(struct sim *s, char *cmd, char *out, size_t cap)
{
	char *arg = cmd + strcspn(cmd, " ");
	char why[128];
	int l;

	if (*arg)
		*arg++ = '\0';
	if (!strcmp(cmd, "set") || !strcmp(cmd, "get")) {
		char *val = arg + strcspn(arg, " ");

		if (*val)
			*val++ = '\0';
		l = find_line(arg);
		if (l < 0) {
			snprintf(out, cap, "ERR unknown line '%.32s' (power boot reset lid "
				 "led-pass led-fail)", arg);
		} else if (cmd[0] == 'g') {
			snprintf(out, cap, "OK %d", s->line[l]);
		} else if (strcmp(val, "0") && strcmp(val, "1")) {
			snprintf(out, cap, "ERR usage: set %s 0|1", line_names[l]);
		} else {
			sim_log("ctl: set %s %s", line_names[l], val);
			board_set_line(s, l, val[0] - '0');
			snprintf(out, cap, "OK");
		}
	} else if (!strcmp(cmd, "status") && !*arg) {
		status(s, out, cap);
	} else if (!strcmp(cmd, "fault")) {
		if (fault_apply(s, arg, why, sizeof(why)) < 0)
			snprintf(out, cap, "ERR %s", why);
		else
			snprintf(out, cap, "OK");
	} else if (!strcmp(cmd, "counters") && !strcmp(arg, "reset")) {
		s->rx_bytes = s->tx_bytes = s->prog_us = s->erase_us = 0;
		s->stub_rx_bytes = s->stub_wire_ns = s->stub_tx_bytes = 0;
		snprintf(out, cap, "OK");
	} else if (!strcmp(cmd, "stub") && !*arg) {
		const char *f = cpu_fault_text(s);

		cpu_describe(s, out, cap);
		if (f) {
			size_t n = strlen(out);

			snprintf(out + n, cap - n, " fault: %s", f);
		}
	} else if (!strcmp(cmd, "quit")) {
		s->quit = true;
		snprintf(out, cap, "OK");
	} else {
		snprintf(out, cap, "ERR unknown command '%.32s' (set get status fault "
			 "counters stub quit)", cmd);
	}
}

static void drop_client(int i)
{
	close(clients[i].fd);
	clients[i] = clients[--n_clients];
}

/* Returns -1 when the client is gone. */
static int client_read(struct sim *s, struct client *c)
{
	char reply[1024], buf[256];
	ssize_t n = read(c->fd, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && errno == EAGAIN ? 0 : -1;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (c->len < CMD_MAX - 1)
				c->buf[c->len++] = buf[i];
			else
				c->overflow = true;
			continue;
		}
		c->buf[c->len] = '\0';
		if (c->len && c->buf[c->len - 1] == '\r')
			c->buf[--c->len] = '\0';
		if (c->overflow)
			snprintf(reply, sizeof(reply), "ERR line too long");
		else
			command(s, c->buf, reply, sizeof(reply));
		c->len = 0;
		c->overflow = false;
		strcat(reply, "\n");
		/* replies are short; a client that does not read them is dropped */
		if (send(c->fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			return -1;
	}
	return 0;
}

void ctrl_handle(struct sim *s, const struct pollfd *pfds, int n)
{
	if (n < 1)
		return;
	/* clients first: pfds[1..] match clients[] as ctrl_pollfds left them */
	for (int i = n - 1; i >= 1; i--) {
		if (!pfds[i].revents)
			continue;
		if (client_read(s, &clients[i - 1]) < 0)
			drop_client(i - 1);
	}
	if (pfds[0].revents & POLLIN) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		if (n_clients == MAX_CLIENTS) {
			close(fd);
			return;
		}
		clients[n_clients++] = (struct client){ .fd = fd };
	}
}

static int read_reply(int fd, char *out, size_t cap)
{
	size_t len = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (len < cap - 1) {
		if (poll(&p, 1, CLIENT_TIMEOUT_MS) <= 0)
			return -1;
		if (read(fd, out + len, 1) != 1)
			return -1;
		if (out[len] == '\n') {
			out[len] = '\0';
			return 0;
		}
		len++;
	}
	return -1;
}

int ctrl_client(const char *path, char **cmds, int n)
{
	struct sockaddr_un sa;
	char reply[1024];
	int fd, ret = 0;

	if (sock_addr(path, &sa) < 0)
		return 2;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "dut-sim: cannot connect to %s: %s (is the sim running?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(cmds[i]);

		if (write(fd, cmds[i], len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
		    read_reply(fd, reply, sizeof(reply)) < 0) {
			fprintf(stderr, "dut-sim: no reply from %s to '%s'\n", path, cmds[i]);
			ret = 2;
			break;
		}
		printf("%s\n", reply);
		if (strncmp(reply, "OK", 2))
			ret = 1;
	}
	close(fd);
	return ret;
}
