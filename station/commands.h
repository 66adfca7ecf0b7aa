/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The station's sub-commands, one file each (station/cmd_*.c).  Each takes
 * argv after the command name (argv[0] is the command name itself) and
 * returns the process exit status (see EXIT_* below).
 */
#ifndef ST_STATION_COMMANDS_H
#define ST_STATION_COMMANDS_H

/* Exit codes a line controller can act on. */
enum st_exit {
	EXIT_PASS = 0,		/* every unit passed / command succeeded */
	EXIT_UNIT_FAIL = 1,	/* a unit failed a test */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_CONFIG = 3,	/* sequence / fixture / station config invalid */
	EXIT_STATION = 4,	/* station fault: fixture, log, network */
	EXIT_ABORTED = 5,	/* interrupted (SIGINT/SIGTERM) */
};

int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_flash(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_fixtures(int argc, char **argv);
int cmd_cms(int argc, char **argv);
int cmd_central(int argc, char **argv);
int cmd_mes(int argc, char **argv);

#endif
