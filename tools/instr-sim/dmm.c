// SPDX-License-Identifier: Apache-2.0
/*
 * The DMM: DC voltage, as the SCPI-1999 MEASure/CONFigure/READ model has it
 * (SCPI-1999 Vol 2 3 MEASure subsystem): MEASure:VOLTage[:DC]? reads once;
 * CONFigure:VOLTage[:DC] [range] then READ? does the same in two steps.
 * What the probe sees: --volts when the board is powered (asked of dut-sim's
 * control socket with --dut-ctrl), 0 V when it is not; plus a small
 * deterministic noise (+-2 mV) like a real reading.  Readings are NR3
 * ("+3.30100000E+00"), as instruments answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/instr-sim/instr.h"

#define DMM_RANGE_MAX 1000.0	/* volts: a larger range is -222 */

static bool configured;

static void reading(struct instr *in)
{
	double v = in->probe_volts;
	int power = in->dut_ctrl ? dut_get_power(in->dut_ctrl) : 1;

	if (power < 0) {
		/* the probe cannot be read: a device-dependent error, no reading */
		scpi_error(in, -240, "Hardware error; cannot read the probe");
		return;
	}
	if (!power)
		v = 0;
	else
		v += (((in->reads++ * 7919u) % 5u) - 2.0) / 1000.0;
	scpi_reply(in, "%+.8E", v);
}

bool dmm_command(struct instr *in, const char *h, const char *args)
{
	if (scpi_match(h, "MEASure:VOLTage[:DC]?")) {
		reading(in);
	} else if (scpi_match(h, "CONFigure:VOLTage[:DC]")) {
		char *end;
		double r = *args ? strtod(args, &end) : 10;

		if (*args && *end)
			scpi_error(in, -224, "Illegal parameter value");
		else if (r <= 0 || r > DMM_RANGE_MAX)
			scpi_error(in, -222, "Data out of range");
		else
			configured = true;
	} else if (scpi_match(h, "READ?")) {
		if (!configured)
			scpi_error(in, -221, "Settings conflict; CONFigure first");
		else
			reading(in);
	} else {
		return false;
	}
	return true;
}
