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

#include "link/console.h"
#include "link/link.h"
#include "fixtures/fixture.h"
#include "station/commands.h"

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

	ret = link_open(&l, fixture_def_of(fx)->port, &fixture_def_of(fx)->link, &e);
	if (ret < 0) {
		printf("  console: FAILED: %s\n", e.msg);
		return ret;
	}
	printf("  console: %s open (%s, %d %s)\n", fixture_def_of(fx)->port, l->ops->name, l->opts.baud,
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
	int i, rc = EXIT_PASS, r, n_files = 0;

	/* options before or after the files (argv is reordered: files last) */
	for (i = 1; i < argc; i++) {
		if (argv[i][0] != '-') {
			argv[1 + n_files++] = argv[i];	/* never ahead of i: no file lost */
		} else if (!strcmp(argv[i], "--power")) {
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
	if (n_files == 0) {
		fprintf(stderr, "station fixtures check: give one or more FIXTURE.yaml files\n");
		return EXIT_USAGE;
	}
	argc = 1 + n_files;
	i = 1;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	r = pthread_create(&th, NULL, signal_watch, &set);
	if (r) {
		/* nobody would take Ctrl-C: a powered board would stay powered */
		fprintf(stderr, "station fixtures check: cannot start the signal thread (%s): "
			"nothing checked\n", strerror(r));
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		return EXIT_STATION;
	}
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
	link_list_ports(stdout);
	printf("\n");
	fx_ftdi_list(stdout);
	return EXIT_PASS;
}
