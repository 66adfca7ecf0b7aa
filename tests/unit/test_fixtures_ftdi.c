/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ftdi driver's line map without hardware: logical line states -> the
 * ADBUS byte and direction mask, pin reads -> logical states; and what the
 * driver says when no FTDI device is attached.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures/fixture-internal.h"

static void pin(struct fixture_def *d, enum fx_line l, int p, bool high, bool safe_on)
{
	d->lines[l] = (struct fx_pin){ .used = true, .pin = p, .active_high = high,
				       .safe_on = safe_on };
}

/* The map of fixtures/ftdi-ft232h.yaml. */
static void bench_def(struct fixture_def *d)
{
	fixture_def_init(d);
	strcpy(d->name, "bench-a");
	strcpy(d->driver, "ftdi");
	d->usb_vid = 0x0403;
	d->usb_pid = 0x6014;
	pin(d, FX_POWER, 0, true, false);
	pin(d, FX_BOOT, 1, true, false);
	pin(d, FX_RESET, 2, false, false);
	pin(d, FX_LID, 3, false, false);
	pin(d, FX_LED_PASS, 4, true, false);
	pin(d, FX_LED_FAIL, 5, true, false);
}

static void test_safe_state_levels(void **state)
{
	struct fixture_def d;
	bool st[FX_LINE_COUNT] = { false };
	uint8_t v, dir;

	(void)state;
	bench_def(&d);
	assert_int_equal(fx_ftdi_compute_pins(&d, st, &v, &dir), ST_OK);
	/* outputs: 0,1,2,4,5; the lid (3) stays an input */
	assert_int_equal(dir, 0x37);
	/* all off: only the active-low RESET pin is high (not held in reset) */
	assert_int_equal(v, 0x04);
}

static void test_power_up_sequence_levels(void **state)
{
	struct fixture_def d;
	bool st[FX_LINE_COUNT] = { false };
	uint8_t v, dir;

	(void)state;
	bench_def(&d);
	st[FX_RESET] = true;	/* hold in reset */
	st[FX_BOOT] = true;
	st[FX_POWER] = true;
	assert_int_equal(fx_ftdi_compute_pins(&d, st, &v, &dir), ST_OK);
	assert_int_equal(v, 0x03);	/* power, boot high; reset pulled low */
	st[FX_RESET] = false;
	st[FX_LED_FAIL] = true;
	st[FX_LID] = true;	/* an input: never driven, whatever state says */
	assert_int_equal(fx_ftdi_compute_pins(&d, st, &v, &dir), ST_OK);
	assert_int_equal(v, 0x27);
	assert_int_equal(dir, 0x37);
}

static void test_unused_lines_not_driven(void **state)
{
	struct fixture_def d;
	bool st[FX_LINE_COUNT];
	uint8_t v, dir;

	(void)state;
	fixture_def_init(&d);
	pin(&d, FX_POWER, 7, false, false);
	memset(st, 1, sizeof(st));
	assert_int_equal(fx_ftdi_compute_pins(&d, st, &v, &dir), ST_OK);
	assert_int_equal(dir, 0x80);
	assert_int_equal(v, 0x00);	/* active low, on */
}

static void test_bad_maps(void **state)
{
	struct fixture_def d;
	bool st[FX_LINE_COUNT] = { false };
	uint8_t v, dir;

	(void)state;
	bench_def(&d);
	d.lines[FX_LED_FAIL].pin = 0;	/* same pin as power */
	assert_int_equal(fx_ftdi_compute_pins(&d, st, &v, &dir), ST_ERR_ARG);
	bench_def(&d);
	d.lines[FX_LID].pin = 1;	/* an input on an output's pin */
	assert_int_equal(fx_ftdi_compute_pins(&d, st, &v, &dir), ST_ERR_ARG);
	bench_def(&d);
	d.lines[FX_BOOT].pin = 8;	/* ACBUS: not in bit-bang mode */
	assert_int_equal(fx_ftdi_compute_pins(&d, st, &v, &dir), ST_ERR_ARG);
}

static void test_read_levels(void **state)
{
	struct fixture_def d;
	bool on = false;

	(void)state;
	bench_def(&d);
	/* lid switch pulls pin 3 low when closed */
	assert_int_equal(fx_ftdi_line_level(&d, FX_LID, 0x00, &on), ST_OK);
	assert_true(on);
	assert_int_equal(fx_ftdi_line_level(&d, FX_LID, 0x08, &on), ST_OK);
	assert_false(on);
	assert_int_equal(fx_ftdi_line_level(&d, FX_POWER, 0x01, &on), ST_OK);
	assert_true(on);
	assert_int_equal(fx_ftdi_line_level(&d, FX_RESET, 0x04, &on), ST_OK);
	assert_false(on);
	d.lines[FX_LED_PASS].used = false;
	assert_int_equal(fx_ftdi_line_level(&d, FX_LED_PASS, 0xff, &on), ST_ERR_NOTSUP);
}

static void test_line_names_and_registry(void **state)
{
	(void)state;
	for (int l = 0; l < FX_LINE_COUNT; l++)
		assert_int_equal(fx_line_from_name(fx_line_name(l)), l);
	assert_string_equal(fx_line_name(FX_LED_PASS), "led-pass");
	assert_int_equal(fx_line_from_name("fan"), -1);
	assert_ptr_equal(fixture_driver_find("ftdi"), &fx_ftdi_driver);
	assert_ptr_equal(fixture_driver_find("sim"), &fx_sim_driver);
	assert_null(fixture_driver_find("gpio"));
	assert_true(fx_line_is_input(FX_LID));
	assert_false(fx_line_is_input(FX_POWER));
}

/* This machine has no FTDI device: the error must say what to check. */
static void test_open_without_device(void **state)
{
	struct fixture_def d;
	struct fixture *fx;
	struct st_error e;
	int ret;

	(void)state;
	bench_def(&d);
	strcpy(d.usb_serial, "FTNOSUCH");
	ret = fixture_open(&fx, &d, &e);
	assert_int_equal(ret, ST_ERR_NOTFOUND);
	assert_null(fx);
	assert_non_null(strstr(e.msg, "fixture bench-a: no FTDI device 0403:6014 serial FTNOSUCH"));
	assert_non_null(strstr(e.msg, "check the USB cable"));

	strcpy(d.driver, "gpio");
	assert_int_equal(fixture_open(&fx, &d, &e), ST_ERR_ARG);
	assert_non_null(strstr(e.msg, "unknown driver 'gpio'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safe_state_levels),
		cmocka_unit_test(test_power_up_sequence_levels),
		cmocka_unit_test(test_unused_lines_not_driven),
		cmocka_unit_test(test_bad_maps),
		cmocka_unit_test(test_read_levels),
		cmocka_unit_test(test_line_names_and_registry),
		cmocka_unit_test(test_open_without_device),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
