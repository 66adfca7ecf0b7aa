// SPDX-License-Identifier: Apache-2.0
/*
 * Fault injection: what a broken board, cable or fixture does on the wire,
 * so the station's verdicts can be tested end to end.  Faults are given with
 * --fault SPEC at start or "fault SPEC" on the control socket; counters
 * count from the moment the fault is set.  "fault clear" removes them all.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/dut-sim/dutsim.h"

const char fault_help[] =
	"Faults (--fault SPEC, repeatable, or 'fault SPEC' on the control socket):\n"
	"  silent               the board sends nothing and ignores what it receives\n"
	"  garbage              every console line and every bootloader byte is answered\n"
	"                       with random bytes 0x80..0xFF (never ACK, NACK or text)\n"
	"  drop-byte=N          the Nth byte the board sends from now is lost (once)\n"
	"  nack-block=N[:always] NACK the Nth Write Memory from now; with :always every\n"
	"                       later Write Memory to that same address is NACKed too\n"
	"  late-ack=N[:MS]      the ACK ending the Nth Write Memory from now leaves MS ms\n"
	"                       late (default 1500): the block is programmed, the host\n"
	"                       has given up waiting (once)\n"
	"  corrupt-ack=N        the ACK ending the Nth Write Memory from now has one bit\n"
	"                       flipped on the wire (0x59): the block is programmed (once)\n"
	"  corrupt-flash        one bit of every Write Memory block is flipped in flash\n"
	"  disconnect-after=N   after N more console commands the serial port goes away:\n"
	"                       the pty link is removed and closed, mode=dead (0: now)\n"
	"  no-se                se commands answer 'ERR no secure element'\n"
	"  slow-se=MS           se commands answer MS milliseconds late\n"
	"  se-rekey             the next 'se write-cert N end' finds a new key in slot N\n"
	"                       (as if it changed after its CSR): the SE refuses the certificate\n"
	"  rail=NAME:VOLTS      rail NAME reads VOLTS (e.g. rail=3v3:2.950)\n"
	"  selftest-fail        selftest answers 'ERR selftest failed: flash ecc'\n"
	"  stub-silent          code started by Go in SRAM never runs (the board hangs)\n"
	"  stub-corrupt=N       the Nth byte from now that such code receives is damaged\n"
	"  crc-unit-bad         the CRC unit's result reads with bit 0 flipped\n";

static int number(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(v, &end, 10);
	if (!*v || *end || errno || *out < min || *out > max)
		return -1;
	return 0;
}

/* "N" or "N:MS": a count from 1 and a delay (def when not given). */
static int count_ms(const char *v, uint32_t *count, uint32_t *ms, uint32_t def)
{
	const char *colon = strchr(v, ':');
	char num[16];
	size_t nl = colon ? (size_t)(colon - v) : strlen(v);
	unsigned long n, m = def;

	if (nl >= sizeof(num))
		return -1;
	memcpy(num, v, nl);
	num[nl] = '\0';
	if (number(num, 1, UINT32_MAX, &n) < 0 || (colon && number(colon + 1, 1, 600000, &m) < 0))
		return -1;
	*count = (uint32_t)n;
	*ms = (uint32_t)m;
	return 0;
}

static int rail_fault(struct faults *f, const char *v)
{
	const char *colon = strchr(v, ':');
	char *end;
	double volts;

	if (!colon || colon == v || (size_t)(colon - v) >= sizeof(f->rail_name))
		return -1;
	volts = strtod(colon + 1, &end);
	if (end == colon + 1 || *end)
		return -1;
	memcpy(f->rail_name, v, colon - v);
	f->rail_name[colon - v] = '\0';
	f->rail_volts = volts;
	return 0;
}

int fault_apply(struct sim *s, const char *spec, char *why, size_t cap)
{
	struct faults *f = &s->faults;
	const char *eq = strchr(spec, '=');
	const char *v = eq ? eq + 1 : "";
	size_t klen = eq ? (size_t)(eq - spec) : strlen(spec);
	unsigned long n;
	int ret = 0;

#define KEY(k) (klen == strlen(k) && !strncmp(spec, k, klen))
	if (KEY("clear") && !eq) {
		memset(f, 0, sizeof(*f));
		f->disconnect_after = -1;
	} else if (KEY("silent") && !eq) {
		f->silent = true;
	} else if (KEY("garbage") && !eq) {
		f->garbage = true;
	} else if (KEY("corrupt-flash") && !eq) {
		f->corrupt_flash = true;
	} else if (KEY("no-se") && !eq) {
		f->no_se = true;
	} else if (KEY("se-rekey") && !eq) {
		f->se_rekey = true;
	} else if (KEY("selftest-fail") && !eq) {
		f->selftest_fail = true;
	} else if (KEY("stub-silent") && !eq) {
		f->stub_silent = true;
	} else if (KEY("crc-unit-bad") && !eq) {
		f->crc_unit_bad = true;
	} else if (KEY("stub-corrupt")) {
		ret = number(v, 1, UINT32_MAX, &n);
		f->stub_corrupt = (uint32_t)n;
	} else if (KEY("drop-byte")) {
		ret = number(v, 1, UINT32_MAX, &n);
		f->drop_byte = n;
	} else if (KEY("nack-block")) {
		char num[16];
		const char *colon = strchr(v, ':');
		size_t nl = colon ? (size_t)(colon - v) : strlen(v);

		if (nl >= sizeof(num) || (colon && strcmp(colon, ":always")))
			ret = -1;
		else {
			memcpy(num, v, nl);
			num[nl] = '\0';
			ret = number(num, 1, UINT32_MAX, &n);
			f->nack_block = n;
			f->nack_always = colon != NULL;
			f->nack_addr_set = false;
		}
	} else if (KEY("late-ack")) {
		ret = count_ms(v, &f->late_ack, &f->late_ack_ms, 1500);
	} else if (KEY("corrupt-ack")) {
		ret = number(v, 1, UINT32_MAX, &n);
		f->corrupt_ack = (uint32_t)n;
	} else if (KEY("disconnect-after")) {
		ret = number(v, 0, INT32_MAX, &n);
		if (!ret && n == 0) {
			s->close_pending = true;
			s->mode = MODE_DEAD;
		}
		f->disconnect_after = n ? (int32_t)n : -1;
	} else if (KEY("slow-se")) {
		ret = number(v, 0, 600000, &n);
		f->slow_se_ms = n;
	} else if (KEY("rail")) {
		ret = rail_fault(f, v);
	} else {
		snprintf(why, cap, "unknown fault '%.64s'", spec);
		return -1;
	}
#undef KEY
	if (ret < 0) {
		snprintf(why, cap, "bad value in fault '%.64s'", spec);
		return -1;
	}
	sim_log("fault %s", spec);
	return 0;
}

static void add(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *out, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(out);
	va_list ap;

	if (len && len < cap - 1)
		out[len++] = ',';
	va_start(ap, fmt);
	vsnprintf(out + len, cap - len, fmt, ap);
	va_end(ap);
}

void fault_describe(const struct sim *s, char *out, size_t cap)
{
	const struct faults *f = &s->faults;

	out[0] = '\0';
	if (f->silent)
		add(out, cap, "silent");
	if (f->garbage)
		add(out, cap, "garbage");
	if (f->drop_byte)
		add(out, cap, "drop-byte=%u", f->drop_byte);
	if (f->nack_block || f->nack_addr_set)
		add(out, cap, "nack-block=%u%s", f->nack_block, f->nack_always ? ":always" : "");
	if (f->late_ack)
		add(out, cap, "late-ack=%u:%u", f->late_ack, f->late_ack_ms);
	if (f->corrupt_ack)
		add(out, cap, "corrupt-ack=%u", f->corrupt_ack);
	if (f->corrupt_flash)
		add(out, cap, "corrupt-flash");
	if (f->disconnect_after > 0)
		add(out, cap, "disconnect-after=%d", f->disconnect_after);
	if (f->no_se)
		add(out, cap, "no-se");
	if (f->slow_se_ms)
		add(out, cap, "slow-se=%u", f->slow_se_ms);
	if (f->se_rekey)
		add(out, cap, "se-rekey");
	if (f->rail_name[0])
		add(out, cap, "rail=%s:%.3f", f->rail_name, f->rail_volts);
	if (f->selftest_fail)
		add(out, cap, "selftest-fail");
	if (f->stub_silent)
		add(out, cap, "stub-silent");
	if (f->stub_corrupt)
		add(out, cap, "stub-corrupt=%u", f->stub_corrupt);
	if (f->crc_unit_bad)
		add(out, cap, "crc-unit-bad");
	if (!out[0])
		snprintf(out, cap, "none");
}
