/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fixture definitions: the shipped examples load, and each class of mistake
 * gives its exact "file:line:col: message".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtures/fixture.h"

static char dir[] = "/tmp/st-fxyaml-XXXXXX";
static char path[300];

/* Write text to a fresh file; path names it. */
static void put(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/fx.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Load text and expect the error "<path>:<where>". */
static void expect_err(const char *text, const char *where)
{
	struct fixture_def d;
	struct st_error e;
	char want[2048];

	put(text);
	assert_int_equal(fixture_def_load(&d, path, &e), ST_ERR_PARSE);
	snprintf(want, sizeof(want), "%s:%s", path, where);
	assert_string_equal(e.msg, want);
}

static const char *top(const char *rel)
{
	static char buf[512];
	const char *t = getenv("ST_TOP");

	snprintf(buf, sizeof(buf), "%s/%s", t ? t : ".", rel);
	return buf;
}

static void test_example_ftdi(void **state)
{
	struct fixture_def d;
	struct st_error e;

	(void)state;
	assert_int_equal(fixture_def_load(&d, top("fixtures/ftdi-ft232h.yaml"), &e), ST_OK);
	assert_string_equal(d.name, "bench-a");
	assert_string_equal(d.driver, "ftdi");
	assert_int_equal(d.usb_vid, 0x0403);
	assert_int_equal(d.usb_pid, 0x6014);
	assert_string_equal(d.usb_serial, "FT9ABC01");
	assert_int_equal(d.ftdi_interface, 0);
	assert_int_equal(d.link.baud, 115200);
	assert_int_equal(d.link.parity, 'N');
	assert_string_equal(d.loader_mode, "8E1");
	assert_true(d.lines[FX_RESET].used);
	assert_int_equal(d.lines[FX_RESET].pin, 2);
	assert_false(d.lines[FX_RESET].active_high);
	assert_false(d.lines[FX_LID].active_high);
	assert_true(d.lines[FX_LED_FAIL].active_high);
	assert_int_equal(d.lines[FX_LED_FAIL].pin, 5);
}

static void test_example_sim(void **state)
{
	struct fixture_def d;
	struct st_error e;

	(void)state;
	assert_int_equal(fixture_def_load(&d, top("fixtures/sim.yaml"), &e), ST_OK);
	assert_string_equal(d.driver, "sim");
	assert_string_equal(d.ctrl, "/tmp/station-sim-1/ctrl");
	assert_false(d.lines[FX_POWER].used);
}

static void test_values(void **state)
{
	struct fixture_def d;
	struct st_error e;

	(void)state;
	put("name: b2\ndriver: ftdi\nport: tcp:10.0.0.5:3001\nbaud: 57600\nmode: 7o2\n"
	    "usb: {vid: 1027, pid: 0x6010, description: \"Dual RS232-HS\", interface: B}\n"
	    "lines:\n  power: {pin: 6, active: low, safe: on}\n");
	assert_int_equal(fixture_def_load(&d, path, &e), ST_OK);
	assert_int_equal(d.link.baud, 57600);
	assert_int_equal(d.link.data_bits, 7);
	assert_int_equal(d.link.parity, 'O');
	assert_int_equal(d.link.stop_bits, 2);
	assert_int_equal(d.usb_vid, 0x0403);
	assert_string_equal(d.usb_desc, "Dual RS232-HS");
	assert_int_equal(d.ftdi_interface, 1);
	assert_true(d.lines[FX_POWER].safe_on);
	assert_true(fx_line_safe(&d, FX_POWER));
	assert_false(fx_line_safe(&d, FX_BOOT));
}

static void test_unknown_keys(void **state)
{
	(void)state;
	expect_err("name: a\ndriver: sim\ncolour: red\n",
		   "3:1: unknown key 'colour' in the fixture file");
	expect_err("name: a\nlines:\n  fan: {pin: 1}\n",
		   "3:3: unknown key 'fan' in 'lines' (power, boot, reset, lid, led-pass, "
		   "led-fail)");
	expect_err("name: a\nlines:\n  power: {pin: 1, level: high}\n",
		   "3:19: unknown key 'level' in line 'power'");
	expect_err("name: a\nname: b\n", "2:1: 'name' given twice in the fixture file");
}

static void test_wrong_types(void **state)
{
	(void)state;
	expect_err("name: a\nbaud: fast\n", "2:7: 'baud' must be a number, not 'fast'");
	expect_err("name: {x: 1}\n", "1:7: 'name' must be a single value, not a mapping");
	expect_err("name: a\nport: [a, b]\n", "2:7: 'port' must be a single value, not a list");
	expect_err("name: a\nusb: 7\n", "2:6: 'usb' must be a mapping of 'key: value'");
	expect_err("name: a\nlines:\n  boot: {active: up}\n",
		   "3:18: 'active' must be 'low' or 'high', not 'up'");
	expect_err("name: a\nusb: {pid: 0x10000}\n", "2:12: 'pid' is 65536; it must be 1..65535");
	expect_err("name: a\ndriver: gpio\n", "2:9: unknown driver 'gpio' (use sim, ftdi or none)");
	expect_err("name: a\nloader_mode: 8X1\n",
		   "2:14: line mode '8X1' is not DATA-PARITY-STOP like 8N1 or 8E1 "
		   "(data 5..8, parity N/E/O, stop 1 or 2)");
	expect_err("name:\n", "1:6: 'name' is empty");
}

static void test_missing_fields(void **state)
{
	static const char ftdi[] = "name: a\ndriver: ftdi\n";
	char buf[300], all[1024];

	(void)state;
	expect_err("driver: sim\n", "1:1: missing 'name'");
	/* each missing thing at once */
	put(ftdi);
	snprintf(all, sizeof(all), "1:1: missing 'port' (the console, e.g. /dev/ttyUSB0)\n"
		 "%s:1:1: missing 'usb: {vid, pid}' (e.g. vid: 0x0403, pid: 0x6014)\n"
		 "%s:1:1: missing 'lines: power' (the ftdi pin map)", path, path);
	expect_err(ftdi, all);
	snprintf(buf, sizeof(buf), "%sport: /dev/ttyUSB0\n", ftdi);
	strcat(buf, "usb: {vid: 0x0403, pid: 0x6014}\n");
	expect_err(buf, "1:1: missing 'lines: power' (the ftdi pin map)");
	strcat(buf, "lines:\n  power: {pin: 0}\n  boot: {active: high}\n");
	expect_err(buf, "7:9: line 'boot' needs a 'pin'");
}

static void test_pin_conflicts(void **state)
{
	static const char head[] = "name: a\ndriver: ftdi\nport: /dev/ttyUSB0\n"
				   "usb: {vid: 0x0403, pid: 0x6014}\nlines:\n";
	char buf[400];

	(void)state;
	snprintf(buf, sizeof(buf), "%s  power: {pin: 0}\n  lid: {pin: 0}\n", head);
	expect_err(buf, "7:14: pin 0 is already used by 'power'");
	snprintf(buf, sizeof(buf), "%s  power: {pin: 9}\n", head);
	expect_err(buf, "6:16: 'pin' is 9; it must be 0..7");
	/* the docs' 0..7 hold for every driver: a sim fixture too */
	expect_err("name: a\ndriver: sim\nlines: {power: {pin: 9}}\n",
		   "3:22: 'pin' is 9; it must be 0..7");
}

/* Every problem of a file at once, as a sequence's: not one per run. */
static void test_every_problem_at_once(void **state)
{
	struct fixture_def d;
	struct st_error e;
	char want[2048];
	char text[2048] = "name: a\n";

	(void)state;
	put("driver: simm\nbaud: fast\nname: b\nlines:\n  power: {pin: 9}\n  fan: {pin: 1}\n"
	    "limits: {v: {low: 2, high: 1}}\n");
	assert_int_equal(fixture_def_load(&d, path, &e), ST_ERR_PARSE);
	snprintf(want, sizeof(want), "%s:1:9: unknown driver 'simm' (use sim, ftdi or none)\n"
		 "%s:2:7: 'baud' must be a number, not 'fast'\n"
		 "%s:5:16: 'pin' is 9; it must be 0..7\n"
		 "%s:6:3: unknown key 'fan' in 'lines' (power, boot, reset, lid, led-pass, led-fail)\n"
		 "%s:7:13: limit 'v': low (2) is greater than high (1)", path, path, path, path, path);
	assert_string_equal(e.msg, want);
	/* a name given wrongly is not also missing */
	expect_err("name: [a]\n", "1:7: 'name' must be a single value, not a list");
	/* more than the message holds: whole lines, then how many more */
	for (int i = 0; i < 40; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "k%d: 1\n", i);
	put(text);
	assert_int_equal(fixture_def_load(&d, path, &e), ST_ERR_PARSE);
	snprintf(want, sizeof(want), "%s:2:1: unknown key 'k0' in the fixture file\n", path);
	assert_ptr_equal(strstr(e.msg, want), e.msg);
	assert_non_null(strstr(e.msg, " more in "));
	assert_int_equal(e.msg[strlen(e.msg) - 1] == '\n', 0);
	assert_null(strstr(e.msg, "k39"));
}

static void test_syntax_and_files(void **state)
{
	struct fixture_def d;
	struct st_error e;

	(void)state;
	expect_err("name: [a\n", "2:1: did not find expected ',' or ']' (while parsing a flow "
		   "sequence)");
	expect_err("", "1:1: empty fixture file (see fixtures/sim.yaml)");
	expect_err("- a\n- b\n", "1:1: the fixture file must be a mapping of 'key: value'");
	assert_int_equal(fixture_def_load(&d, "/nonexistent/fx.yaml", &e), ST_ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "cannot read fixture file /nonexistent/fx.yaml"));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_ftdi),
		cmocka_unit_test(test_example_sim),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_pin_conflicts),
		cmocka_unit_test(test_every_problem_at_once),
		cmocka_unit_test(test_syntax_and_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
