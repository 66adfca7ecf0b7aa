// SPDX-License-Identifier: Apache-2.0
/*
 * instr-sim: a SCPI instrument (a DMM or a PSU) on a raw TCP socket, as LXI
 * instruments serve SCPI on port 5025, or on an RS-232 port (a pty).  The contract is IEEE 488.2-1992
 * (common commands, the Standard Event Status Register) and SCPI-1999
 * (headers, the error queue read with SYSTem:ERRor?).  Never includes or
 * links the station's code.
 */
#ifndef INSTR_SIM_H
#define INSTR_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

#define SCPI_LINE_MAX 256	/* a longer program message: -363 input buffer overrun */
#define SCPI_QUEUE_MAX 16	/* SCPI-1999 Vol 2 21.8: the queue holds at least 2 */
#define SCPI_OUT_MAX 512

enum kind { KIND_DMM, KIND_PSU };

struct instr {
	enum kind kind;
	const char *idn;		/* *IDN? reply */
	const char *dut_ctrl;		/* dut-sim control socket, or NULL */
	double probe_volts;		/* DMM: the voltage at the probe when the board is on */
	/* IEEE 488.2 11.5.1: the Standard Event Status Register and its enable */
	unsigned esr, ese;
	struct { int code; char text[64]; } queue[SCPI_QUEUE_MAX];
	int n_queue;
	/* PSU state */
	double set_volts, set_amps;
	bool output;
	/* DMM state */
	unsigned reads;
	char out[SCPI_OUT_MAX];		/* the response message being built */
	size_t out_len;
};

/* scpi.c: one program message (a line without its terminator); the reply,
 * if any queries were in it, is left in in->out (empty when none). */
void scpi_message(struct instr *in, char *line);
void scpi_error(struct instr *in, int code, const char *text);
/* The i-th header of a message matches the pattern: "MEASure:VOLTage[:DC]?". */
bool scpi_match(const char *header, const char *pattern);
void scpi_reply(struct instr *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* dmm.c, psu.c: the instrument's own commands; false when header is not one. */
bool dmm_command(struct instr *in, const char *header, const char *args);
bool psu_command(struct instr *in, const char *header, const char *args);

/* serial.c: the RS-232 port as a pty (--pty); the simulator holds both
 * sides. */
struct serial {
	int master, slave;
	int baud;		/* the instrument's rate (--baud) */
	speed_t speed;
	char path[128];		/* the station opens this */
};
int serial_open(struct serial *s, int baud);
/* The station's side is set to the instrument's rate. */
bool serial_rate_ok(const struct serial *s);

/* dut.c: dut-sim's control socket (power line, read and set). */
int dut_get_power(const char *ctrl);	/* 1, 0, or -1 when it cannot be asked */
int dut_set_power(const char *ctrl, bool on);

#endif
