/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The text sanitiser (text.h): stored, shown, CSV.  UTF-8 is decoded by
 * RFC 3629 (no overlong forms, no surrogates, nothing above U+10FFFF);
 * a byte that does not start a valid sequence is one \xNN and decoding
 * goes on at the next byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

/* Bytes of the valid UTF-8 sequence at s (0: not valid), code point in *cp. */
static int utf8_seq(const unsigned char *s, uint32_t *cp)
{
	int n;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2; c = s[0] & 0x1f; min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3; c = s[0] & 0x0f; min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4; c = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static bool is_bidi_control(uint32_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
	       c == 0x200f || c == 0x061c;
}

/* U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR: a line break to some
 * terminals, editors and JavaScript (Unicode UAX #14, class BK) */
static bool is_line_separator(uint32_t c)
{
	return c == 0x2028 || c == 0x2029;
}

struct sink {
	char *out;
	size_t cap, len;
	bool full;
};

/* Append n bytes, all or none (an escape is never cut in two). */
static void put(struct sink *k, const char *s, size_t n)
{
	if (!k->full && k->len + n < k->cap) {
		memcpy(k->out + k->len, s, n);
		k->out[k->len + n] = '\0';
	} else {
		k->full = true;	/* what follows would not be in order: stop writing */
	}
	k->len += n;
}

static void start(struct sink *k, char *out, size_t cap)
{
	*k = (struct sink){ .out = out, .cap = cap };
	if (cap)
		out[0] = '\0';
	else
		k->full = true;
}

static void put_hex(struct sink *k, unsigned char b)
{
	char e[5];

	snprintf(e, sizeof(e), "\\x%02x", b);
	put(k, e, 4);
}

/* The escape a shown character needs, or NULL when it is shown as it is. */
static const char *show_escape(uint32_t c, char buf[12])
{
	switch (c) {
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	case 0x1b: return "\\e";
	default: break;
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(buf, 12, "\\x%02x", (unsigned)c);
		return buf;
	}
	if ((c >= 0x80 && c <= 0x9f) || is_bidi_control(c) || is_line_separator(c)) {
		snprintf(buf, 12, "\\u%04x", (unsigned)c);
		return buf;
	}
	return NULL;
}

static void encode(struct sink *k, const char *in, bool show)
{
	const unsigned char *s = (const unsigned char *)in;

	while (in && *s) {
		uint32_t cp;
		int n = utf8_seq(s, &cp);
		char buf[12];
		const char *esc;

		if (n == 0) {
			put_hex(k, *s++);
			continue;
		}
		esc = show ? show_escape(cp, buf) : NULL;
		if (esc)
			put(k, esc, strlen(esc));
		else
			put(k, (const char *)s, (size_t)n);
		s += n;
	}
}

size_t st_text_utf8(char *out, size_t cap, const char *in)
{
	struct sink k;

	start(&k, out, cap);
	encode(&k, in, false);
	return k.len;
}

size_t st_text_show(char *out, size_t cap, const char *in)
{
	struct sink k;

	start(&k, out, cap);
	encode(&k, in, true);
	return k.len;
}

static bool is_number(const char *s)
{
	char *end;

	/* digits only: strtod alone also takes "-inf", "-nan(x)", hex */
	if (!*s || s[strspn(s, "0123456789.eE+-")])
		return false;
	strtod(s, &end);
	return *end == '\0';
}

size_t st_text_csv(char *out, size_t cap, const char *in)
{
	struct sink k;
	const char *s = in ? in : "";
	/* OWASP "CSV injection": a leading = + - @ tab or CR starts a formula */
	bool formula = s[0] && strchr("=+-@\t\r", s[0]) && !is_number(s);
	char *shown = st_text_show_dup(s);
	bool quote;

	start(&k, out, cap);
	if (!shown)
		return 0;
	quote = formula || strpbrk(shown, "\",") != NULL;
	if (quote)
		put(&k, "\"", 1);
	if (formula)
		put(&k, "'", 1);
	for (const char *p = shown; *p; p++) {
		if (*p == '"')
			put(&k, "\"\"", 2);
		else
			put(&k, p, 1);
	}
	if (quote)
		put(&k, "\"", 1);
	free(shown);
	return k.len;
}

bool st_text_is_utf8(const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	uint32_t cp;

	while (s && *s) {
		int n = utf8_seq(s, &cp);

		if (!n)
			return false;
		s += n;
	}
	return true;
}

bool st_text_is_clean(const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	uint32_t cp;
	char buf[12];

	while (s && *s) {
		int n = utf8_seq(s, &cp);

		if (!n || show_escape(cp, buf))
			return false;
		s += n;
	}
	return true;
}

/* The columns of code point c: Unicode's East Asian Width W and F
 * ranges (UAX #11) take two, the common combining marks none. */
static int cp_width(uint32_t c)
{
	static const uint32_t zero[][2] = {
		{ 0x0300, 0x036f }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200d },
		{ 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	};
	static const uint32_t wide[][2] = {
		{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff }, { 0x3400, 0x4dbf },
		{ 0x4e00, 0x9fff }, { 0xa000, 0xa4cf }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff },
		{ 0xfe30, 0xfe4f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
		{ 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
	};

	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (c >= zero[i][0] && c <= zero[i][1])
			return 0;
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

int st_text_width(const char *shown)
{
	const unsigned char *s = (const unsigned char *)shown;
	uint32_t cp;
	int w = 0;

	while (s && *s) {
		int n = utf8_seq(s, &cp);

		w += n ? cp_width(cp) : 4;	/* not valid: shown as \xNN */
		s += n ? n : 1;
	}
	return w;
}

static char *dup_with(size_t (*fn)(char *, size_t, const char *), const char *in)
{
	size_t need;
	char *d;

	if (!in)
		return NULL;
	need = fn(NULL, 0, in);
	d = malloc(need + 1);
	if (d)
		fn(d, need + 1, in);
	return d;
}

char *st_text_utf8_dup(const char *in)
{
	return dup_with(st_text_utf8, in);
}

char *st_text_show_dup(const char *in)
{
	return dup_with(st_text_show, in);
}
