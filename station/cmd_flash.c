/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station flash: load one image onto one board, for the bench.  It is a run
 * of a one-step sequence, written here from the options and run by
 * `station run`, so it is locked, guarded, shown and logged like any run
 * (sequence "station-flash").
 *
 *   station flash --port /dev/ttyUSB0 fw.hex          no fixture: BOOT0 and
 *                                                     reset by hand
 *   station flash -f fixtures/bench.yaml fw.bin       a fixture file; with
 *                                                     lines, it straps BOOT0
 *
 * The image path and the address reach the sequence as variables (data),
 * never as YAML text; the options that do shape the text are checked
 * against fixed lists first.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures/fixture.h"
#include "station/commands.h"

struct flash_opts {
	const char *fixture, *port, *config, *db, *serial, *operator_name;
	const char *image, *address, *format, *verify, *erase, *protocol, *stub_baud;
	bool go, json;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station flash [-f FIXTURE | --port PORT] [options] IMAGE\n"
		"\n"
		"Load IMAGE (raw, Intel HEX, ELF) through the STM32 ROM bootloader (AN3155),\n"
		"for the bench.  It is logged as a run of one step (sequence station-flash).\n"
		"\n"
		"  -f, --fixture FILE    a fixture definition; when it has lines (sim, ftdi),\n"
		"                        the board is powered with BOOT0 high and reset first,\n"
		"                        and powered off afterwards; driver none: by hand\n"
		"      --port PORT       the board's serial port, with no fixture (driver none):\n"
		"                        set BOOT0 and reset the board by hand first\n"
		"      --address A       where a raw image goes (default 0x08000000)\n"
		"      --format F        auto (default), raw, ihex, elf\n"
		"      --verify V        readback (default), crc, none\n"
		"      --erase E         pages (default: only what the image covers) or mass\n"
		"      --protocol P      rom (default), stub (the RAM flasher stub, F103; falls\n"
		"                        back to rom), auto (stub when the part has one)\n"
		"      --stub-baud N     with --port: the stub's rate (default: the ROM's 115200);\n"
		"                        a fixture file says it with stub_baud:\n"
		"      --go              start the image (Go) once it is loaded\n"
		"  -c, --config FILE     station.yaml (log, station name)\n"
		"      --db FILE         the log (default: the config's 'log', ./station.db)\n"
		"      --serial S        the unit's serial, for the log\n"
		"      --operator NAME   recorded with the run\n"
		"      --json            one JSON event per line on stdout\n"
		"  -h, --help            this text\n"
		"\n"
		"exit status: 0 loaded, 1 not loaded (the verdict says why: a NACK, a verify\n"
		"failure, no answer, an image that does not fit the part), 2 usage, 3 invalid\n"
		"fixture/config, 4 station fault (fixture, log), 5 interrupted\n");
}

/* value must be one of list (NULL-terminated); say so otherwise. */
static bool one_of(const char *opt, const char *value, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(value, list[i]))
			return true;
	fprintf(stderr, "station flash: --%s: '%s' is not one of", opt, value);
	for (int i = 0; list[i]; i++)
		fprintf(stderr, "%s %s", i ? "," : "", list[i]);
	fprintf(stderr, "\n");
	return false;
}

static int parse_args(int argc, char **argv, struct flash_opts *o)
{
	enum { O_PORT = 256, O_ADDR, O_FORMAT, O_VERIFY, O_ERASE, O_GO, O_DB, O_SERIAL, O_OPER,
	       O_JSON, O_PROTO, O_STUB_BAUD };
	static const struct option lo[] = {
		{ "fixture", required_argument, NULL, 'f' },
		{ "port", required_argument, NULL, O_PORT },
		{ "config", required_argument, NULL, 'c' },
		{ "address", required_argument, NULL, O_ADDR },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "verify", required_argument, NULL, O_VERIFY },
		{ "erase", required_argument, NULL, O_ERASE },
		{ "protocol", required_argument, NULL, O_PROTO },
		{ "stub-baud", required_argument, NULL, O_STUB_BAUD },
		{ "go", no_argument, NULL, O_GO },
		{ "db", required_argument, NULL, O_DB },
		{ "serial", required_argument, NULL, O_SERIAL },
		{ "operator", required_argument, NULL, O_OPER },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *const formats[] = { "auto", "raw", "ihex", "elf", NULL };
	static const char *const verifies[] = { "readback", "crc", "none", NULL };
	static const char *const erases[] = { "pages", "mass", NULL };
	static const char *const protocols[] = { "rom", "stub", "auto", NULL };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o->fixture = optarg; break;
		case O_PORT: o->port = optarg; break;
		case 'c': o->config = optarg; break;
		case O_ADDR: o->address = optarg; break;
		case O_FORMAT: o->format = optarg; break;
		case O_VERIFY: o->verify = optarg; break;
		case O_ERASE: o->erase = optarg; break;
		case O_PROTO: o->protocol = optarg; break;
		case O_STUB_BAUD: o->stub_baud = optarg; break;
		case O_GO: o->go = true; break;
		case O_DB: o->db = optarg; break;
		case O_SERIAL: o->serial = optarg; break;
		case O_OPER: o->operator_name = optarg; break;
		case O_JSON: o->json = true; break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "station flash: give one IMAGE (see --help)\n");
		return EXIT_USAGE;
	}
	o->image = argv[optind];
	if (!o->fixture && !o->port) {
		fprintf(stderr, "station flash: give -f FIXTURE or --port PORT\n");
		return EXIT_USAGE;
	}
	if (!one_of("format", o->format, formats) || !one_of("verify", o->verify, verifies) ||
	    !one_of("erase", o->erase, erases) || !one_of("protocol", o->protocol, protocols))
		return EXIT_USAGE;
	if (o->stub_baud && (o->fixture || strspn(o->stub_baud, "0123456789") !=
			     strlen(o->stub_baud) || strlen(o->stub_baud) > 7)) {
		fprintf(stderr, "station flash: --stub-baud takes a rate in baud, with --port (a "
			"fixture file says stub_baud:)\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* The one-step sequence; with lines, strapped into the ROM and off after. */
static int write_sequence(const char *path, const struct flash_opts *o, bool lines)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "name: station-flash\nversion: 1.0.0\n"
		   "description: one image through the ROM bootloader (station flash)\n"
		   "vars:\n  image: ~\n  address: ~\n");
	if (lines)
		fprintf(f, "setup:\n"
			   "  - name: fixture in a known state\n"
			   "    lines: {power: off, boot: off, reset: off}\n"
			   "  - name: power on with BOOT high (ROM bootloader)\n"
			   "    lines: {reset: on, boot: on, power: on, settle: 20ms}\n"
			   "  - name: release reset into the ROM bootloader\n"
			   "    lines: {reset: off, settle: 20ms}\n");
	fprintf(f, "steps:\n"
		   "  - name: flash\n"
		   "    flash:\n"
		   "      image: ${image}\n"
		   "      address: ${address}\n"
		   "      format: %s\n"
		   "      verify: %s\n"
		   "      erase: %s\n"
		   "      go: %s\n"
		   "      protocol: %s\n"
		   "    timeout: 900s\n", o->format, o->verify, o->erase, o->go ? "true" : "false",
		   o->protocol);
	if (lines && !o->go)
		fprintf(f, "teardown:\n"
			   "  - name: power off\n"
			   "    lines: {power: off, boot: off, reset: off}\n");
	return fclose(f) == 0 ? 0 : -1;
}

/* A fixture file with no lines, for --port alone (the port comes as --port). */
static int write_fixture(const char *path, const char *stub_baud)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "name: bench\ndriver: none\n");
	if (stub_baud)
		fprintf(f, "stub_baud: %s\n", stub_baud);
	return fclose(f) == 0 ? 0 : -1;
}

/* Does the fixture file drive lines?  Its own errors come from station run. */
static bool has_lines(const char *fixture)
{
	struct fixture_def def;
	struct st_error e = { 0 };

	if (fixture_def_load(&def, fixture, &e) < 0)
		return false;
	return strcmp(def.driver, "none") != 0;
}

/* "opt value" onto av when value is given; the new count. */
static int opt_arg(const char **av, int n, const char *opt, const char *value)
{
	if (value) {
		av[n++] = opt;
		av[n++] = value;
	}
	return n;
}

int cmd_flash(int argc, char **argv)
{
	struct flash_opts o = { .address = "0x08000000", .format = "auto", .verify = "readback",
				.protocol = "rom",
				.erase = "pages" };
	char dir[] = "/tmp/station-flash.XXXXXX", seq[64], fx[64], image[PATH_MAX];
	char var_image[PATH_MAX + 8], var_addr[96];
	const char *av[32];
	int n = 0, ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? EXIT_PASS : ret;
	if (!realpath(o.image, image)) {
		fprintf(stderr, "station flash: cannot read image %s: %s\n", o.image, strerror(errno));
		return EXIT_USAGE;
	}
	if (strlen(o.address) > 64) {
		fprintf(stderr, "station flash: --address: give e.g. 0x08000000\n");
		return EXIT_USAGE;
	}
	if (!mkdtemp(dir)) {
		fprintf(stderr, "station flash: cannot make a directory in /tmp: %s\n",
			strerror(errno));
		return EXIT_STATION;
	}
	snprintf(seq, sizeof(seq), "%s/station-flash.yaml", dir);
	snprintf(fx, sizeof(fx), "%s/bench.yaml", dir);
	if (write_sequence(seq, &o, o.fixture && has_lines(o.fixture)) < 0 ||
	    (!o.fixture && write_fixture(fx, o.stub_baud) < 0)) {
		fprintf(stderr, "station flash: cannot write in %s: %s\n", dir, strerror(errno));
		ret = EXIT_STATION;
		goto out;
	}
	snprintf(var_image, sizeof(var_image), "image=%s", image);
	snprintf(var_addr, sizeof(var_addr), "address=%s", o.address);
	av[n++] = "run";
	av[n++] = "--once";
	av[n++] = "-s";
	av[n++] = seq;
	av[n++] = "-f";
	av[n++] = o.fixture ? o.fixture : fx;
	av[n++] = "--var";
	av[n++] = var_image;
	av[n++] = "--var";
	av[n++] = var_addr;
	n = opt_arg(av, n, "--port", o.port);
	n = opt_arg(av, n, "-c", o.config);
	n = opt_arg(av, n, "--db", o.db);
	n = opt_arg(av, n, "--serial", o.serial);
	n = opt_arg(av, n, "--operator", o.operator_name);
	if (o.json)
		av[n++] = "--json";
	av[n] = NULL;
	ret = cmd_run(n, (char **)av);
out:
	unlink(seq);
	unlink(fx);
	rmdir(dir);
	return ret;
}
