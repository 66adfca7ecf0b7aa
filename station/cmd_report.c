/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "commands.h"

int cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "station report: not implemented yet\n");
	return EXIT_STATION;
}
