/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station fixtures: what a technician needs to write and check a fixture
 * file.  Without arguments it lists the serial ports (libserialport) and
 * FTDI devices (libftdi1) with their serial numbers; `check` opens each
 * fixture, reads what it can, and leaves it in its safe state.
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ftdi.h>
#include <libserialport.h>

#include "link/console.h"
#include "fixtures/fixture.h"
#include "station/commands.h"

static const struct {
	int vid, pid;
	const char *chip;
} ftdi_ids[] = {
	{ 0x0403, 0x6014, "FT232H" },
	{ 0x0403, 0x6010, "FT2232H" },
	{ 0x0403, 0x6001, "FT232R" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station fixtures\n"
		"       station fixtures check [--power] [--cmd CMD] FIXTURE.yaml...\n"
		"\n"
		"Without arguments: list the serial ports (name, description, USB VID:PID,\n"
		"serial) and the FTDI devices (FT232H 0403:6014, FT2232H 0403:6010, FT232R\n"
		"0403:6001) attached to this machine, with the lines to put in a fixture\n"
		"file (see fixtures/ftdi-ft232h.yaml and docs/fixtures.md).\n"
		"\n"
		"check: open each fixture, read its lid sensor, open its console and send\n"
		"CMD (default 'version'); report what answers, then put the fixture in its\n"
		"safe state (power off, lines released).  A fixture a station is running on\n"
		"is not touched (FAILED: in use).\n"
		"  --power     power the board (BOOT low) for the console check\n"
		"  --cmd CMD   console command to send (default: version)\n"
		"\n"
		"exit status: 0 every fixture and console port opened, 3 a fixture file is\n"
		"invalid, 4 a fixture or its console port could not be opened.\n");
}

/* /dev/serial/by-id/NAME for a port, when udev made one (stable names). */
static bool by_id_name(const char *port, char *out, size_t cap)
{
	static const char dir[] = "/dev/serial/by-id";
	char path[PATH_MAX], real[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (realpath(path, real) && !strcmp(real, port)) {
			snprintf(out, cap, "%s", path);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static void list_ports(void)
{
	struct sp_port **ports = NULL;
	enum sp_return r;
	char *msg, byid[PATH_MAX];
	int n = 0;

	printf("Serial ports:\n");
	r = sp_list_ports(&ports);
	if (r != SP_OK) {
		msg = sp_last_error_message();
		printf("  cannot list serial ports: %s\n", msg ? msg : "libserialport error");
		sp_free_error_message(msg);
		return;
	}
	for (; ports[n]; n++) {
		struct sp_port *p = ports[n];
		const char *desc = sp_get_port_description(p);
		int vid, pid;

		printf("  %-16s %s", sp_get_port_name(p), desc ? desc : "");
		if (sp_get_port_transport(p) == SP_TRANSPORT_USB &&
		    sp_get_port_usb_vid_pid(p, &vid, &pid) == SP_OK) {
			const char *ser = sp_get_port_usb_serial(p);

			printf("  USB %04x:%04x", vid, pid);
			if (ser)
				printf("  serial %s", ser);
		}
		printf("\n");
		if (by_id_name(sp_get_port_name(p), byid, sizeof(byid)))
			printf("  %-16s port: %s\n", "", byid);
	}
	sp_free_port_list(ports);
	if (!n)
		printf("  no serial port found; a USB-UART shows up as /dev/ttyUSBn or "
		       "/dev/ttyACMn (check the cable and 'dmesg')\n");
}

static int list_ftdi_one(struct ftdi_context *ctx, size_t i)
{
	struct ftdi_device_list *devs = NULL, *d;
	char man[128], desc[128], ser[128];
	int n;

	n = ftdi_usb_find_all(ctx, &devs, ftdi_ids[i].vid, ftdi_ids[i].pid);
	if (n < 0) {
		printf("  cannot search for %s %04x:%04x: %s\n", ftdi_ids[i].chip,
		       ftdi_ids[i].vid, ftdi_ids[i].pid, ftdi_get_error_string(ctx));
		return 0;
	}
	for (d = devs; d; d = d->next) {
		man[0] = desc[0] = ser[0] = '\0';
		if (ftdi_usb_get_strings(ctx, d->dev, man, sizeof(man), desc, sizeof(desc), ser,
					 sizeof(ser)) < 0)
			snprintf(desc, sizeof(desc), "(strings unreadable: %s)",
				 ftdi_get_error_string(ctx));
		printf("  %s %04x:%04x  manufacturer \"%s\"  description \"%s\"  serial \"%s\"\n",
		       ftdi_ids[i].chip, ftdi_ids[i].vid, ftdi_ids[i].pid, man, desc, ser);
		printf("    usb: {vid: 0x%04x, pid: 0x%04x%s%s}\n", ftdi_ids[i].vid,
		       ftdi_ids[i].pid, ser[0] ? ", serial: " : "", ser);
	}
	ftdi_list_free(&devs);
	return n;
}

static void list_ftdi(void)
{
	struct ftdi_context *ctx = ftdi_new();
	int found = 0;

	printf("FTDI devices:\n");
	if (!ctx) {
		printf("  cannot start libftdi1/libusb (is libusb working here?)\n");
		return;
	}
	for (size_t i = 0; i < sizeof(ftdi_ids) / sizeof(ftdi_ids[0]); i++)
		found += list_ftdi_one(ctx, i);
	ftdi_free(ctx);
	if (!found) {
		printf("  no FTDI device found (looked for");
		for (size_t i = 0; i < sizeof(ftdi_ids) / sizeof(ftdi_ids[0]); i++)
			printf("%s %04x:%04x %s", i ? "," : "", ftdi_ids[i].vid, ftdi_ids[i].pid,
			       ftdi_ids[i].chip);
		printf("); check the USB cable and udev permissions\n");
	}
}

/* --- check ---------------------------------------------------------------- */

struct check_opts {
	bool power;
	const char *cmd;
};

/* Ctrl-C during a check: every open fixture to its safe state, then exit. */
static void *signal_watch(void *arg)
{
	sigset_t *set = arg;
	int sig;

	if (sigwait(set, &sig) == 0) {
		fixture_shutdown_all();
		fprintf(stderr, "station fixtures: interrupted; fixtures in their safe state\n");
		_exit(EXIT_ABORTED);
	}
	return NULL;
}

static void check_lid(struct fixture *fx)
{
	struct st_error e;
	bool closed;
	int ret;

	ret = fixture_get(fx, FX_LID, &closed, &e);
	if (ret == ST_OK)
		printf("  lid: %s\n", closed ? "closed" : "open");
	else if (ret == ST_ERR_NOTSUP)
		printf("  lid: not available (%s)\n", e.msg);
	else
		printf("  lid: FAILED: %s\n", e.msg);
}

/* Power the board with BOOT low, as for a normal boot, and wait for it. */
static void check_power_on(struct fixture *fx, struct link *l)
{
	struct st_error e;

	if (fixture_set(fx, FX_BOOT, false, &e) < 0 || fixture_set(fx, FX_POWER, true, &e) < 0) {
		printf("  power: FAILED: %s\n", e.msg);
		return;
	}
	printf("  power: on (BOOT low)\n");
	if (console_wait_line(l, "ready", NULL, 0, 3000, &e) < 0)
		printf("  banner: none within 3 s\n");
}

static int check_console(struct fixture *fx, const struct check_opts *o)
{
	char mode[8], resp[256];
	struct st_error e;
	struct link *l;
	int ret;

	ret = link_open(&l, fx->def.port, &fx->def.link, &e);
	if (ret < 0) {
		printf("  console: FAILED: %s\n", e.msg);
		return ret;
	}
	printf("  console: %s open (%s, %d %s)\n", fx->def.port, l->ops->name, l->opts.baud,
	       link_opts_mode_str(&l->opts, mode, sizeof(mode)));
	if (o->power)
		check_power_on(fx, l);
	ret = console_cmd(l, o->cmd, resp, sizeof(resp), 2000, &e);
	if (ret == ST_OK || ret == ST_ERR_FAIL)
		printf("  console answers '%s': %s%s\n", o->cmd, ret == ST_OK ? resp : "ERR ",
		       ret == ST_OK ? "" : e.msg);
	else
		printf("  console: no answer to '%s' (%s)%s\n", o->cmd, e.msg,
		       o->power ? "" : "; the board may be unpowered: try --power");
	link_close(l);
	/* an unpowered board is not a station fault; a console that cannot open is */
	return ST_OK;
}

static int check_one(const char *file, const struct check_opts *o)
{
	struct fixture_def def;
	struct fixture *fx;
	struct st_error e;
	char what[300];
	int ret, lock;

	ret = fixture_def_load(&def, file, &e);
	if (ret < 0) {
		printf("%s: INVALID\n  %s\n", file, e.msg);
		return EXIT_CONFIG;
	}
	printf("%s (%s, driver %s):\n", def.name, file, def.driver);
	/* a run on it would find its board switched off under it */
	ret = fixture_lock(&def, 0, &lock, &e);
	if (ret == ST_OK) {
		ret = fixture_open(&fx, &def, &e);
		if (ret < 0)
			fixture_unlock(lock);
	}
	if (ret < 0) {
		printf("  fixture: FAILED: %s\n", e.msg);
		return EXIT_STATION;
	}
	if (fixture_probe(fx, what, sizeof(what), &e) == ST_OK)
		printf("  fixture: %s\n", what);
	else
		printf("  fixture: open\n");
	check_lid(fx);
	ret = check_console(fx, o);
	fixture_close(fx);
	fixture_unlock(lock);
	printf("  safe state: power off, lines released\n");
	return ret < 0 ? EXIT_STATION : EXIT_PASS;
}

static int cmd_check(int argc, char **argv)
{
	struct check_opts o = { .cmd = "version" };
	static sigset_t set;
	pthread_t th;
	int i, rc = EXIT_PASS, r;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--power")) {
			o.power = true;
		} else if (!strcmp(argv[i], "--cmd") && i + 1 < argc) {
			o.cmd = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_PASS;
		} else {
			fprintf(stderr, "station fixtures check: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "station fixtures check: give one or more FIXTURE.yaml files\n");
		return EXIT_USAGE;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&th, NULL, signal_watch, &set) == 0)
		pthread_detach(th);
	for (; i < argc; i++) {
		r = check_one(argv[i], &o);
		/* the worst outcome decides: config (3) over station (4) over pass */
		if (r == EXIT_CONFIG || (r == EXIT_STATION && rc == EXIT_PASS))
			rc = r;
	}
	return rc;
}

int cmd_fixtures(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return EXIT_PASS;
	}
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (argc >= 2) {
		fprintf(stderr, "station fixtures: unknown argument '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	list_ports();
	printf("\n");
	list_ftdi();
	return EXIT_PASS;
}
