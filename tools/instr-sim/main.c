// SPDX-License-Identifier: Apache-2.0
/*
 * instr-sim --kind dmm|psu [--port N | --pty [--baud N]] [--port-file F]
 *           [--dut-ctrl SOCK] [--volts V] [--idn TEXT]
 * A SCPI instrument on 127.0.0.1 over raw TCP, one program message per line
 * (newline-terminated), each response message one line; as an LXI
 * instrument on port 5025 (port 0: any free port, written to --port-file).
 * With --pty, on its RS-232 port instead (serial.c): a pseudo-terminal
 * whose path is printed ("pty /dev/pts/N") and written to --port-file.
 * One client at a time, as most socket instruments allow; the next waits
 * in the listen queue.  Bounded: a program message over 256 bytes is
 * -363,"Input buffer overrun" and is discarded.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/instr-sim/instr.h"

#define WRITE_TIMEOUT_MS 2000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: instr-sim --kind dmm|psu [--port N | --pty [--baud N]] [--port-file F]\n"
		"                 [--dut-ctrl SOCK] [--volts V] [--idn TEXT]\n"
		"A SCPI instrument (IEEE 488.2 common commands, SCPI-1999 error queue) on a\n"
		"raw TCP socket of 127.0.0.1, as LXI instruments serve port 5025.\n"
		"  --pty          on an RS-232 port instead: a pseudo-terminal, its path\n"
		"                 printed as 'pty PATH' (8N1, LF in, CR LF out)\n"
		"  --baud N       the port's rate (default 9600); a station at another rate\n"
		"                 gets no answer (framing errors)\n"
		"  --kind dmm     MEASure:VOLTage[:DC]?, CONFigure:VOLTage[:DC], READ?\n"
		"  --kind psu     VOLTage, CURRent, OUTPut[:STATe], MEASure:VOLTage?/CURRent?\n"
		"  --dut-ctrl S   dut-sim's control socket: the PSU output powers the board;\n"
		"                 the DMM reads --volts only while the board is powered\n"
		"  --volts V      what the DMM's probe sees on a powered board (default 3.3)\n"
		"  --idn TEXT     the *IDN? reply (default: per kind)\n");
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		ssize_t w;

		if (poll(&pf, 1, WRITE_TIMEOUT_MS) != 1)
			return -1;
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Serve one client until it goes away (or we are stopped); on a serial
 * port (ser), until stopped. */
static void serve(struct instr *in, int fd, const struct serial *ser)
{
	char line[SCPI_LINE_MAX + 1];
	size_t len = 0;
	bool overrun = false;

	while (!stop) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		char buf[256];
		ssize_t n;

		if (poll(&pf, 1, 500) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\r')
				continue;
			if (buf[i] != '\n') {
				if (len < SCPI_LINE_MAX)
					line[len++] = buf[i];
				else
					overrun = true;
				continue;
			}
			line[len] = '\0';
			if (ser && !serial_rate_ok(ser)) {
				fprintf(stderr, "instr-sim: framing errors: the line is not at %d "
					"baud; message dropped\n", ser->baud);
				len = 0;
				overrun = false;
				continue;
			}
			if (overrun)
				scpi_error(in, -363, "Input buffer overrun");
			else
				scpi_message(in, line);
			fprintf(stderr, "instr-sim: > %s%s\n", overrun ? "(overrun) " : "", line);
			len = 0;
			overrun = false;
			if (!in->out_len)
				continue;
			fprintf(stderr, "instr-sim: < %s\n", in->out);
			if (ser && in->out_len + 2 < sizeof(in->out))
				in->out[in->out_len++] = '\r'; /* RS-232: CR LF (34401A) */
			in->out[in->out_len++] = '\n';
			if (send_all(fd, in->out, in->out_len) < 0)
				return;
		}
	}
}

/* The port (or the pty's path) where the test finds it. */
static int write_port_file(const char *path, const char *where)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%s\n", where) < 0 || fclose(f) != 0) {
		fprintf(stderr, "instr-sim: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

static int serve_pty(struct instr *in, struct serial *ser, int baud, const char *port_file,
		     const char *kind)
{
	if (serial_open(ser, baud) < 0 || (port_file && write_port_file(port_file, ser->path) < 0))
		return 1;
	printf("pty %s\n", ser->path);
	fflush(stdout);
	fprintf(stderr, "instr-sim: %s on %s at %d baud 8N1 (%s)\n", kind, ser->path, baud, in->idn);
	serve(in, ser->master, ser);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "kind", required_argument, NULL, 'k' }, { "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "dut-ctrl", required_argument, NULL, 'd' },
		{ "volts", required_argument, NULL, 'v' }, { "idn", required_argument, NULL, 'i' },
		{ "pty", no_argument, NULL, 'P' }, { "baud", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct serial ser = { .master = -1, .slave = -1 };
	bool pty = false;
	int baud = 9600;
	struct instr in = { .kind = KIND_DMM, .probe_volts = 3.3, .set_amps = 0.1 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const char *port_file = NULL, *kind = NULL;
	socklen_t sl = sizeof(sa);
	char where[16];
	struct sigaction act = { .sa_handler = on_signal };
	int c, lfd, one = 1;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'k': kind = optarg; break;
		case 'p': sa.sin_port = htons((unsigned short)atoi(optarg)); break;
		case 'f': port_file = optarg; break;
		case 'd': in.dut_ctrl = optarg; break;
		case 'v': in.probe_volts = atof(optarg); break;
		case 'i': in.idn = optarg; break;
		case 'P': pty = true; break;
		case 'b': baud = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!kind || (strcmp(kind, "dmm") && strcmp(kind, "psu"))) {
		usage(stderr);
		return 2;
	}
	in.kind = strcmp(kind, "dmm") ? KIND_PSU : KIND_DMM;
	/* IEEE 488.2 10.14: manufacturer, model, serial number, firmware level */
	if (!in.idn)
		in.idn = in.kind == KIND_DMM ? "STATION-SIM,DMM-6500S,SIM00001,1.0.0" :
			 "STATION-SIM,PSU-3005S,SIM00002,1.0.0";
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	signal(SIGPIPE, SIG_IGN); /* a client gone mid-reply: write fails instead */
	if (pty)
		return serve_pty(&in, &ser, baud, port_file, kind);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
		fprintf(stderr, "instr-sim: cannot listen: %s\n", strerror(errno));
		return 1;
	}
	snprintf(where, sizeof(where), "%u", ntohs(sa.sin_port));
	if (port_file && write_port_file(port_file, where) < 0)
		return 1;
	fprintf(stderr, "instr-sim: %s on 127.0.0.1:%u (%s)\n", kind, ntohs(sa.sin_port), in.idn);
	while (!stop) {
		struct pollfd pf = { .fd = lfd, .events = POLLIN };
		int fd;

		if (poll(&pf, 1, 500) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		serve(&in, fd, NULL);
		close(fd);
	}
	close(lfd);
	return 0;
}
