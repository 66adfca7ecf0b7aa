/* SPDX-License-Identifier: Apache-2.0 */
/* The text sanitiser: stored (valid UTF-8 or \xNN), shown (controls, C1,
 * bidi escaped), CSV (quoted, formulas defused), cut without breaking an
 * escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/text.h"

static void check(size_t (*fn)(char *, size_t, const char *), const char *in, const char *want)
{
	char out[256];
	size_t n = fn(out, sizeof(out), in);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_stored(void **state)
{
	(void)state;
	check(st_text_utf8, "SIM000101", "SIM000101");
	check(st_text_utf8, "caf\xc3\xa9", "caf\xc3\xa9");		/* valid: as received */
	check(st_text_utf8, "a\nb\x1b[2J", "a\nb\x1b[2J");		/* controls kept */
	check(st_text_utf8, "ab\xff" "c", "ab\\xffc");			/* not UTF-8 */
	check(st_text_utf8, "\xc0\xaf", "\\xc0\\xaf");			/* overlong '/' */
	check(st_text_utf8, "\xed\xa0\x80", "\\xed\\xa0\\x80");		/* a surrogate */
	check(st_text_utf8, "\xe2\x82", "\\xe2\\x82");			/* cut short */
	check(st_text_utf8, "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");	/* > U+10FFFF */
	assert_true(st_text_is_utf8("caf\xc3\xa9\n"));
	assert_false(st_text_is_utf8("\xff"));
}

static void test_shown(void **state)
{
	(void)state;
	check(st_text_show, "SIM000101", "SIM000101");
	check(st_text_show, "caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93");
	check(st_text_show, "a\nPASS unit X", "a\\nPASS unit X");
	check(st_text_show, "\x1b[31mred\r\t\x07\x7f", "\\e[31mred\\r\\t\\x07\\x7f");
	check(st_text_show, "x\xc2\x9b" "31m", "x\\u009b31m");		/* C1 CSI */
	check(st_text_show, "abc\xe2\x80\xae" "fdp.exe", "abc\\u202efdp.exe");	/* RLO */
	check(st_text_show, "\xe2\x81\xa6" "x\xe2\x81\xa9", "\\u2066x\\u2069");	/* isolates */
	check(st_text_show, "\xe2\x80\x8f", "\\u200f");
	/* line and paragraph separators: a line break to some terminals */
	check(st_text_show, "a\xe2\x80\xa8PASS\xe2\x80\xa9", "a\\u2028PASS\\u2029");
	check(st_text_show, "\xe2\x80\xa7\xe2\x80\xaa", "\xe2\x80\xa7\\u202a");	/* U+2027 shown */
	check(st_text_show, "bad\xff", "bad\\xff");
	assert_true(st_text_is_clean("SIM000101 caf\xc3\xa9"));
	assert_false(st_text_is_clean("a\nb"));
	assert_false(st_text_is_clean("\xc2\x9b"));
	assert_false(st_text_is_clean("\xe2\x80\xae"));
	assert_false(st_text_is_clean("\xe2\x80\xa8"));
	assert_false(st_text_is_clean("\xff"));
}

static void test_csv(void **state)
{
	(void)state;
	check(st_text_csv, "SIM000101", "SIM000101");
	check(st_text_csv, "=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	check(st_text_csv, "+1+cmd", "\"'+1+cmd\"");
	check(st_text_csv, "@SUM(A1)", "\"'@SUM(A1)\"");
	check(st_text_csv, "-2+3", "\"'-2+3\"");
	check(st_text_csv, "-1.25", "-1.25");				/* a number stays one */
	check(st_text_csv, "+3.3", "+3.3");
	check(st_text_csv, "-inf", "\"'-inf\"");
	check(st_text_csv, "a,b", "\"a,b\"");
	check(st_text_csv, "line\nbreak", "line\\nbreak");		/* shown: no raw break */
	check(st_text_csv, "", "");
	check(st_text_csv, NULL, "");
}

static void test_cut_never_splits(void **state)
{
	char out[8];
	size_t n;

	(void)state;
	n = st_text_show(out, sizeof(out), "abcd\x1b" "efgh");
	assert_int_equal(n, strlen("abcd\\eefgh"));
	assert_string_equal(out, "abcd\\ee");	/* up to what does not fit */
	n = st_text_show(out, sizeof(out), "abcde\xc2\x9b");
	assert_string_equal(out, "abcde");	/* \u009b does not fit: left out whole */
	n = st_text_utf8(out, 4, "ab\xc3\xa9");
	assert_string_equal(out, "ab");		/* never half a character */
	assert_int_equal(n, 4);
	assert_int_equal(st_text_show(NULL, 0, "\x1b"), 2);
}

static void test_dup(void **state)
{
	char *a = st_text_show_dup("x\ny"), *b = st_text_utf8_dup("\xfe");

	(void)state;
	assert_string_equal(a, "x\\ny");
	assert_string_equal(b, "\\xfe");
	assert_null(st_text_show_dup(NULL));
	free(a);
	free(b);
}

/* Terminal columns, not bytes: for the report's text tables. */
static void test_width(void **state)
{
	(void)state;
	assert_int_equal(st_text_width(""), 0);
	assert_int_equal(st_text_width("vdd"), 3);
	assert_int_equal(st_text_width("Größe"), 5);		/* 7 bytes */
	assert_int_equal(st_text_width("電源"), 4);		/* wide: 2 each */
	assert_int_equal(st_text_width("e\xcc\x81"), 1);	/* e + combining acute */
	assert_int_equal(st_text_width("\\e[2J"), 5);		/* an escape as shown */
	assert_int_equal(st_text_width("\xfe"), 4);		/* not UTF-8: shown \xfe */
	assert_int_equal(st_text_width(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stored),
		cmocka_unit_test(test_shown),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_cut_never_splits),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_width),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
