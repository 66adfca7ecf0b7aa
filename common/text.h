/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text from outside (an operator's scan, a board's reply, a program's
 * output, a CMS answer, a certificate field) is data.  One place decides how
 * it crosses each boundary:
 *
 *   stored     valid UTF-8 kept as received, every byte that is not part
 *              of valid UTF-8 written as \xNN (st_text_utf8): the log, JSON
 *   shown      as stored, and also C0 controls, DEL, the C1 controls
 *              (U+0080..U+009F, e.g. U+009B, a one-character CSI) and the
 *              bidirectional controls (U+202A..U+202E, U+2066..U+2069,
 *              U+200E, U+200F, U+061C) and the line and paragraph
 *              separators (U+2028, U+2029) written as \n, \r, \t, \e, \xNN or
 *              \uNNNN (st_text_show): the terminal, trace, reports, logs
 *   CSV cell   shown, then quoted when it holds a quote, comma or line
 *              break, and a cell a spreadsheet would take as a formula
 *              (= + - @ or a tab/CR first, not a plain number) prefixed
 *              with ' (st_text_csv)
 *
 * Every function writes a NUL-terminated result, cut to cap (never in the
 * middle of an escape or a character), and returns the length the whole
 * result needs (like snprintf), so a caller can tell it was cut.
 */
#ifndef ST_COMMON_TEXT_H
#define ST_COMMON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

size_t st_text_utf8(char *out, size_t cap, const char *in);
size_t st_text_show(char *out, size_t cap, const char *in);
size_t st_text_csv(char *out, size_t cap, const char *in);
/* Is in exactly what st_text_show() would write (nothing to escape)? */
bool st_text_is_clean(const char *in);
/* Is in valid UTF-8 (what st_text_utf8() leaves as it is)? */
bool st_text_is_utf8(const char *in);
/* Columns text as shown (st_text_show's output) takes on a terminal:
 * one per character (not per byte), two for an East Asian wide or
 * fullwidth one, none for a combining mark; for aligning tables. */
int st_text_width(const char *shown);
/* A heap copy as stored / as shown (NULL: out of memory, or in NULL). */
char *st_text_utf8_dup(const char *in);
char *st_text_show_dup(const char *in);

#endif
