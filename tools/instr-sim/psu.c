// SPDX-License-Identifier: Apache-2.0
/*
 * The PSU: one output, as the SCPI-1999 SOURce and OUTPut subsystems have it
 * (Vol 2 19 SOURce:VOLTage/CURRent, 15 OUTPut[:STATe]): [SOURce:]VOLTage
 * <v> (0..30 V), [SOURce:]CURRent <a> (0..3 A), OUTPut[:STATe] ON|OFF|1|0,
 * their queries, and MEASure:VOLTage? / MEASure:CURRent? of the output.
 * With --dut-ctrl the output is the board's supply: OUTPut ON powers the
 * board through dut-sim's control socket, OFF removes power.  The load draws
 * a fixed 120 mA (a current limit below it is the constant-current case, not
 * modelled: we do not know the board's real draw).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/instr-sim/instr.h"

#define PSU_VOLTS_MAX 30.0
#define PSU_AMPS_MAX 3.0
#define PSU_LOAD_AMPS 0.120

static bool number(struct instr *in, const char *args, double max, double *out)
{
	char *end;

	if (!*args) {
		scpi_error(in, -109, "Missing parameter");
		return false;
	}
	*out = strtod(args, &end);
	if (end == args || *end) {
		scpi_error(in, -224, "Illegal parameter value");
		return false;
	}
	if (*out < 0 || *out > max) {
		scpi_error(in, -222, "Data out of range");
		return false;
	}
	return true;
}

static void output(struct instr *in, const char *args)
{
	bool on;

	if (!*args) {
		scpi_error(in, -109, "Missing parameter");
		return;
	}
	if (!strcasecmp(args, "ON") || !strcmp(args, "1"))
		on = true;
	else if (!strcasecmp(args, "OFF") || !strcmp(args, "0"))
		on = false;
	else {
		scpi_error(in, -224, "Illegal parameter value");
		return;
	}
	if (in->dut_ctrl && dut_set_power(in->dut_ctrl, on) < 0) {
		scpi_error(in, -300, "Device-specific error; the load does not answer");
		return;
	}
	in->output = on;
}

bool psu_command(struct instr *in, const char *h, const char *args)
{
	double v;

	if (scpi_match(h, "[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]")) {
		if (number(in, args, PSU_VOLTS_MAX, &v))
			in->set_volts = v;
	} else if (scpi_match(h, "[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]?")) {
		scpi_reply(in, "%+.8E", in->set_volts);
	} else if (scpi_match(h, "[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]")) {
		if (number(in, args, PSU_AMPS_MAX, &v))
			in->set_amps = v;
	} else if (scpi_match(h, "[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]?")) {
		scpi_reply(in, "%+.8E", in->set_amps);
	} else if (scpi_match(h, "OUTPut[:STATe]")) {
		output(in, args);
	} else if (scpi_match(h, "OUTPut[:STATe]?")) {
		scpi_reply(in, "%d", in->output ? 1 : 0);
	} else if (scpi_match(h, "MEASure:VOLTage[:DC]?")) {
		scpi_reply(in, "%+.8E", in->output ? in->set_volts : 0.0);
	} else if (scpi_match(h, "MEASure:CURRent[:DC]?")) {
		scpi_reply(in, "%+.8E", in->output ? PSU_LOAD_AMPS : 0.0);
	} else {
		return false;
	}
	return true;
}
