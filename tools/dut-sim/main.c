// SPDX-License-Identifier: Apache-2.0
/*
 * dut-sim: one simulated fixture + board per process.  The board's serial
 * console is a pseudo-terminal; the fixture lines are a control socket.
 * Single-threaded: one ppoll() loop over the pty master, the control socket
 * and the due time of the next paced output byte.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>

#include "tools/dut-sim/dutsim.h"

static FILE *log_file;
static uint64_t t_start;
static volatile sig_atomic_t stop_signal;

uint64_t sim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void sim_log(const char *fmt, ...)
{
	FILE *f = log_file ? log_file : stderr;
	uint64_t t = sim_now_ns() - t_start;
	va_list ap;

	fprintf(f, "[%4llu.%03llu] ", (unsigned long long)(t / 1000000000ull),
		(unsigned long long)(t / 1000000ull % 1000));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

/* xorshift64*: deterministic per board serial, so faults are reproducible */
uint32_t sim_random(struct sim *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (s->rng * 0x2545F4914F6CDD1Dull) >> 32;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: dut-sim --pty PATH --ctrl SOCK [options]\n"
		"       dut-sim --ctl SOCK CMD...      (client: send commands, print replies)\n"
		"       dut-sim --console PTY [--timeout S] [CMD]  (client: send a console line,\n"
		"                                      print the reply up to OK/ERR; no CMD: one line)\n"
		"A simulated test fixture with an STM32 board (--chip): its UART is a\n"
		"pseudo-terminal linked at PATH, its fixture lines a control socket at SOCK.\n"
		"Prints 'pty PATH -> /dev/pts/N' then 'ready' on stdout; logs go to --log or stderr.\n"
		"\n"
		"  --baud N            modelled line rate (default 115200)\n"
		"  --frame 8E1         modelled frame: data bits, parity N/E/O, stop bits (default\n"
		"                      8E1 = 11 bits per byte; the pty itself carries no parity)\n"
		"  --fast              do not apply modelled time (counters still count it)\n"
		"  --chip f103|f407    the part: STM32F103 high density (PID 0x414, 2 KiB pages,\n"
		"                      the default) or STM32F407 (PID 0x413, 1 MiB in sectors of\n"
		"                      16, 64 and 128 KiB erased in 250, 550, 1000 ms; 8 s mass).\n"
		"                      Programming as the manuals say: the f103 refuses a half-word\n"
		"                      that is not erased (PGERR; 0x0000 always goes) and the ROM\n"
		"                      NACKs the block; the f407 only clears bits (RM0090 3.5.4)\n"
		"  --t-prog-us N       programming time per 16-bit halfword (f103, default 52)\n"
		"                      or 32-bit word (f407, default 16)\n"
		"  --t-erase-ms N      f103 page (2 KiB) erase time (default 20)\n"
		"  --t-mass-erase-ms N mass erase time (default 40; f407 8000)\n"
		"  --flash-kib N       f103 flash size (default 512)\n"
		"  --state FILE        keep flash (and a generated SE identity) in FILE\n"
		"  --image FILE        program FILE (raw) at 0x08000000 before start, as the\n"
		"                      factory would (tests that need no flashing step)\n"
		"  --serial S          board serial number (default SIM-0001)\n"
		"  --se-cert F --se-key F [--se-chain F]\n"
		"                      secure element identity from PEM files (chain: the\n"
		"                      certificates after the leaf)\n"
		"  --se-chip HEX       the SE chip's own serial, 16 hex digits (default: derived\n"
		"                      from --serial); a different chip with a copied identity\n"
		"                      models a clone in a board that bears the original's serial\n"
		"  --se-ca-cert F --se-ca-key F [--se-ca-chain F] [--masa-url URL]\n"
		"                      make a fresh P-256 identity for this board, issued by\n"
		"                      that CA (default MASA URL masa.example.com:9443)\n"
		"  --rail NAME=VOLTS   fixed reading for a rail (3v3, 1v8, 5v0)\n"
		"  --fault SPEC        inject a fault from the start (see below)\n"
		"  --log FILE          append the log to FILE instead of stderr\n"
		"\n");
	fprintf(f,
		"Control socket: one command per line, one reply line each (OK [value] | ERR why):\n"
		"  set LINE 0|1, get LINE     LINE: power boot reset lid led-pass led-fail\n"
		"                             power-on or reset release samples boot: 1 = ROM\n"
		"                             bootloader (AN3155), 0 = run the image in flash\n"
		"  status                     OK power= boot= reset= lid= led-pass= led-fail=\n"
		"                             mode=off|rom|diag|prod|dead fw=KIND-VERSION|none\n"
		"                             serial= pty=open|closed rx_bytes= tx_bytes= wire_us=\n"
		"                             prog_us= erase_us= flash_us= faults=\n"
		"  fault SPEC, fault clear    counters reset      quit\n"
		"\n"
		"Console (diag/prod firmware): 'cmd args' lines in, CR LF lines out, last 'OK' or\n"
		"'ERR why'; help, version, id, selftest; diag only: rail NAME, and the secure\n"
		"element (VaultIC-like: slot 0 the factory identity, read-only; slots 1..3 for\n"
		"on-chip enrolment, kept in FILE.se.slotN.key/.crt with --state):\n"
		"  se info                    chip, serial, key type (slot 0)\n"
		"  se cert [SLOT]             slot 0: the chain (PEM); else the slot's certificate\n"
		"  se sign [SLOT] HEX         sig: HEX DER ECDSA over SHA-256 of 1..64 bytes\n"
		"  se keygen SLOT             new P-256 key in SLOT (never output); spki-sha256:\n"
		"  se csr SLOT SUBJECT        PKCS#10 CSR (PEM lines) signed by SLOT's key; SUBJECT\n"
		"                             in mbedTLS syntax: CN=SIM000101,serialNumber=SIM000101\n"
		"  se write-cert SLOT begin | data BASE64 | end\n"
		"                             a DER certificate in base64 chunks (groups of 4\n"
		"                             characters, lines under 256 bytes); end stores it when\n"
		"                             its public key is SLOT's, else 'ERR certificate does\n"
		"                             not match the key in slot N'\n"
		"  se slots                   one line per slot: key, certificate subject\n"
		"\n%s", fault_help);
}

enum { O_PTY = 256, O_CTRL, O_BAUD, O_FRAME, O_FAST, O_FLASH, O_SERIAL, O_SE_CERT,
       O_SE_KEY, O_SE_CHAIN, O_CA_CERT, O_CA_KEY, O_CA_CHAIN, O_MASA, O_RAIL, O_FAULT,
       O_STATE, O_IMAGE, O_LOG, O_TPROG, O_TERASE, O_TMASS, O_CTL, O_SE_CHIP, O_CHIP, O_HELP };

static const struct option long_opts[] = {
	{ "pty", 1, NULL, O_PTY }, { "ctrl", 1, NULL, O_CTRL }, { "baud", 1, NULL, O_BAUD },
	{ "frame", 1, NULL, O_FRAME }, { "fast", 0, NULL, O_FAST },
	{ "flash-kib", 1, NULL, O_FLASH }, { "chip", 1, NULL, O_CHIP },
	{ "serial", 1, NULL, O_SERIAL },
	{ "se-cert", 1, NULL, O_SE_CERT }, { "se-key", 1, NULL, O_SE_KEY },
	{ "se-chain", 1, NULL, O_SE_CHAIN }, { "se-chip", 1, NULL, O_SE_CHIP }, { "se-ca-cert", 1, NULL, O_CA_CERT },
	{ "se-ca-key", 1, NULL, O_CA_KEY }, { "se-ca-chain", 1, NULL, O_CA_CHAIN },
	{ "masa-url", 1, NULL, O_MASA }, { "rail", 1, NULL, O_RAIL },
	{ "fault", 1, NULL, O_FAULT }, { "state", 1, NULL, O_STATE }, { "image", 1, NULL, O_IMAGE }, { "log", 1, NULL, O_LOG },
	{ "t-prog-us", 1, NULL, O_TPROG }, { "t-erase-ms", 1, NULL, O_TERASE },
	{ "t-mass-erase-ms", 1, NULL, O_TMASS }, { "ctl", 1, NULL, O_CTL },
	{ "help", 0, NULL, O_HELP }, { 0 },
};

static int num_arg(const char *opt, const char *v, unsigned long min, unsigned long max,
		   uint32_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max) {
		fprintf(stderr, "dut-sim: --%s wants a number %lu..%lu, not '%s'\n", opt, min,
			max, v);
		return -1;
	}
	*out = n;
	return 0;
}

/* "8E1" -> 11 bits on the wire per byte (start + data + parity + stop) */
static int frame_arg(struct sim *s, const char *v)
{
	if (strlen(v) != 3 || v[0] < '5' || v[0] > '8' || !strchr("NEOneo", v[1]) ||
	    (v[2] != '1' && v[2] != '2')) {
		fprintf(stderr, "dut-sim: --frame wants e.g. 8E1 or 8N1, not '%s'\n", v);
		return -1;
	}
	s->frame_bits = 1 + (v[0] - '0') + (strchr("Nn", v[1]) ? 0 : 1) + (v[2] - '0');
	return 0;
}

static int rail_arg(struct sim *s, const char *v)
{
	const char *eq = strchr(v, '=');
	struct rail_override *r = &s->rails[s->n_rails];
	char *end;

	if (!eq || eq == v || (size_t)(eq - v) >= sizeof(r->name) ||
	    s->n_rails == (int)(sizeof(s->rails) / sizeof(s->rails[0]))) {
		fprintf(stderr, "dut-sim: --rail wants NAME=VOLTS, not '%s'\n", v);
		return -1;
	}
	r->volts = strtod(eq + 1, &end);
	if (end == eq + 1 || *end) {
		fprintf(stderr, "dut-sim: --rail wants NAME=VOLTS, not '%s'\n", v);
		return -1;
	}
	memcpy(r->name, v, eq - v);
	r->name[eq - v] = '\0';
	s->n_rails++;
	return 0;
}

static int serial_ok(const char *v)
{
	size_t n = strlen(v);

	return n && n <= 32 && strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789._-") == n;
}

struct args {
	struct se_opts se;
	const char *faults[16];
	int n_faults;
	const char *log_path, *image;
	struct chip_args chip;
};

static int parse_args(int argc, char **argv, struct sim *s, struct args *a)
{
	int c, ret = 0;

	while (ret == 0 && (c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case O_PTY: s->pty_path = optarg; break;
		case O_CTRL: s->ctrl_path = optarg; break;
		case O_BAUD: ret = num_arg("baud", optarg, 50, 20000000, &s->baud); break;
		case O_FRAME: ret = frame_arg(s, optarg); break;
		case O_FAST: s->fast = true; break;
		case O_FLASH:
			ret = num_arg("flash-kib", optarg, 16, FLASH_MAX_KIB, &a->chip.flash_kib);
			a->chip.flash_kib_given = true;
			break;
		case O_CHIP: a->chip.name = optarg; break;
		case O_SERIAL: s->serial = optarg; break;
		case O_SE_CERT: a->se.cert = optarg; break;
		case O_SE_KEY: a->se.key = optarg; break;
		case O_SE_CHAIN: a->se.chain = optarg; break;
		case O_SE_CHIP: a->se.chip = optarg; break;
		case O_CA_CERT: a->se.ca_cert = optarg; break;
		case O_CA_KEY: a->se.ca_key = optarg; break;
		case O_CA_CHAIN: a->se.ca_chain = optarg; break;
		case O_MASA: a->se.masa_url = optarg; break;
		case O_RAIL: ret = rail_arg(s, optarg); break;
		case O_FAULT:
			if (a->n_faults == (int)(sizeof(a->faults) / sizeof(a->faults[0])))
				ret = -1;
			else
				a->faults[a->n_faults++] = optarg;
			break;
		case O_STATE: s->state_path = optarg; break;
		case O_LOG: a->log_path = optarg; break;
		case O_IMAGE: a->image = optarg; break;
		case O_TPROG:
			ret = num_arg("t-prog-us", optarg, 0, 100000, &s->t_prog_us);
			a->chip.t_prog_given = true;
			break;
		case O_TERASE:
			ret = num_arg("t-erase-ms", optarg, 0, 10000, &s->t_erase_ms);
			a->chip.t_erase_given = true;
			break;
		case O_TMASS:
			ret = num_arg("t-mass-erase-ms", optarg, 0, 100000, &s->t_mass_erase_ms);
			a->chip.t_mass_given = true;
			break;
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (ret < 0)
		return -1;
	if (!s->pty_path || !s->ctrl_path || optind != argc) {
		fprintf(stderr, "dut-sim: --pty PATH and --ctrl SOCK are required (--help)\n");
		return -1;
	}
	if (!serial_ok(s->serial)) {
		fprintf(stderr, "dut-sim: --serial wants 1..32 of [A-Za-z0-9._-], not '%s'\n",
			s->serial);
		return -1;
	}
	if (a->chip.flash_kib % (FLASH_PAGE / 1024)) {
		fprintf(stderr, "dut-sim: --flash-kib must be a multiple of 2 (2 KiB pages)\n");
		return -1;
	}
	if ((a->se.cert || a->se.key) && (!a->se.cert || !a->se.key || a->se.ca_cert)) {
		fprintf(stderr, "dut-sim: give --se-cert and --se-key together, and not with --se-ca-*\n");
		return -1;
	}
	if (a->se.chip && (strlen(a->se.chip) != 16 ||
			   strspn(a->se.chip, "0123456789abcdef") != 16)) {
		fprintf(stderr, "dut-sim: --se-chip wants 16 lower-case hex digits, not '%s'\n",
			a->se.chip);
		return -1;
	}
	if ((a->se.ca_cert || a->se.ca_key) && (!a->se.ca_cert || !a->se.ca_key)) {
		fprintf(stderr, "dut-sim: give --se-ca-cert and --se-ca-key together\n");
		return -1;
	}
	return chip_setup(s, &a->chip);
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int setup(struct sim *s, struct args *a, sigset_t *orig)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;
	char why[128];

	if (a->log_path) {
		log_file = fopen(a->log_path, "a");
		if (!log_file) {
			fprintf(stderr, "dut-sim: cannot open log %s: %s\n", a->log_path,
				strerror(errno));
			return -1;
		}
		setvbuf(log_file, NULL, _IOLBF, 0);
	}
	/* signals only arrive inside ppoll(), so the loop sees them at once */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The modelled device time is the sim's to keep: the default 50 us
	 * timer slack would let every due byte leave late, and the host would
	 * be charged for the sim's lateness. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	s->byte_ns = s->fast ? 0 : (uint64_t)s->frame_bits * 1000000000ull / s->baud;
	s->faults.disconnect_after = -1;
	for (const char *c = s->serial; *c; c++)
		s->rng = (s->rng ^ (uint8_t)*c) * 1099511628211ull;
	s->rng |= 1;
	if (board_init(s) < 0 || (a->image && board_load_image(s, a->image) < 0))
		return -1;
	if (a->se.cert || a->se.ca_cert) {
		s->se = se_create(&a->se, s->serial, s->state_path);
		if (!s->se)
			return -1;
	}
	if (wire_open(s) < 0 || ctrl_listen(s) < 0)
		return -1;
	for (int i = 0; i < a->n_faults; i++) {
		if (fault_apply(s, a->faults[i], why, sizeof(why)) < 0) {
			fprintf(stderr, "dut-sim: --fault: %s\n%s", why, fault_help);
			return -1;
		}
	}
	sim_log("board %s: PID 0x%04x, %u KiB flash in %u pages, %u baud, %u bits per byte%s",
		s->serial, s->pid, s->flash_size / 1024, s->n_sect, s->baud, s->frame_bits,
		s->fast ? ", fast" : "");
	return 0;
}

static void loop(struct sim *s, const sigset_t *orig)
{
	struct pollfd pfds[2 + 16];
	struct timespec ts, *tsp;

	while (!s->quit && !stop_signal) {
		int64_t due = wire_next_due_ns(s), cdue = cpu_next_due_ns(s);
		int n;

		if (cdue >= 0 && (due < 0 || cdue < due))
			due = cdue;

		pfds[0] = (struct pollfd){ .fd = s->pty_open ? s->master_fd : -1,
					   .events = POLLIN | (due == 0 ? POLLOUT : 0) };
		n = 1 + ctrl_pollfds(s, pfds + 1, sizeof(pfds) / sizeof(pfds[0]) - 1);
		tsp = NULL;
		if (due > 0) {
			ts.tv_sec = due / 1000000000;
			ts.tv_nsec = due % 1000000000;
			tsp = &ts;
		} else if (s->close_pending) {
			ts = (struct timespec){ .tv_nsec = 20000000 };
			tsp = &ts;
		}
		if (ppoll(pfds, n, tsp, orig) < 0) {
			if (errno == EINTR)
				continue;
			sim_log("ppoll: %s", strerror(errno));
			return;
		}
		if (pfds[0].revents & POLLIN)
			wire_read(s);
		ctrl_handle(s, pfds + 1, n - 1);
		cpu_run(s);
		wire_flush(s);
	}
	if (stop_signal)
		sim_log("signal %d: exiting", (int)stop_signal);
}

int main(int argc, char **argv)
{
	struct sim *s;
	struct args a = { .chip.flash_kib = 512 };
	sigset_t orig;
	int ret = 1;

	t_start = sim_now_ns();
	if (argc >= 2 && !strcmp(argv[1], "--ctl")) {
		if (argc < 4) {
			fprintf(stderr, "usage: dut-sim --ctl SOCK CMD...\n");
			return 2;
		}
		return ctrl_client(argv[2], argv + 3, argc - 3);
	}
	if (argc >= 2 && !strcmp(argv[1], "--console"))
		return term_client(argc - 1, argv + 1);
	s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	*s = (struct sim){ .baud = 115200, .frame_bits = 11, .serial = "SIM-0001",
			   .t_prog_us = 52, .t_erase_ms = 20, .t_mass_erase_ms = 40,
			   .master_fd = -1, .slave_fd = -1, .state_fd = -1 };
	if (parse_args(argc, argv, s, &a) < 0) {
		ret = 2;
		goto out;
	}
	if (setup(s, &a, &orig) < 0)
		goto out;
	printf("pty %s -> %s\nready\n", s->pty_path, s->slave_name);
	fflush(stdout);
	loop(s, &orig);
	ret = 0;
out:
	wire_close(s);
	ctrl_close(s);
	se_free(s->se);
	board_free(s);
	free(s);
	if (log_file)
		fclose(log_file);
	return ret;
}
