/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verdict banner on a terminal: the verdict in large letters, in its
 * colour, then the fixture, the unit, the time and, for anything but PASS,
 * the step and the reason (escaped: it may come from outside).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "station/display-internal.h"

#define GLYPH_ROWS 5

/* 5x5 capitals, enough for PASS, FAIL and ABORTED */
static const struct glyph {
	char c;
	const char *rows[GLYPH_ROWS];
} glyphs[] = {
	{ 'A', { " ### ", "#   #", "#####", "#   #", "#   #" } },
	{ 'B', { "#### ", "#   #", "#### ", "#   #", "#### " } },
	{ 'D', { "#### ", "#   #", "#   #", "#   #", "#### " } },
	{ 'E', { "#####", "#    ", "#### ", "#    ", "#####" } },
	{ 'F', { "#####", "#    ", "#### ", "#    ", "#    " } },
	{ 'I', { " ### ", "  #  ", "  #  ", "  #  ", " ### " } },
	{ 'L', { "#    ", "#    ", "#    ", "#    ", "#####" } },
	{ 'O', { " ### ", "#   #", "#   #", "#   #", " ### " } },
	{ 'P', { "#### ", "#   #", "#### ", "#    ", "#    " } },
	{ 'R', { "#### ", "#   #", "#### ", "#  # ", "#   #" } },
	{ 'S', { " ####", "#    ", " ### ", "    #", "#### " } },
	{ 'T', { "#####", "  #  ", "  #  ", "  #  ", "  #  " } },
};

static const char *glyph_row(char c, int row)
{
	for (size_t i = 0; i < sizeof(glyphs) / sizeof(glyphs[0]); i++)
		if (glyphs[i].c == c)
			return glyphs[i].rows[row];
	return "     ";
}

/* One banner line: text (cols visible columns) padded to width, coloured. */
static void banner_line(struct display *d, enum db_outcome o, const char *text, int cols,
			int width)
{
	fprintf(d->out, "%s  %s%*s%s\n", disp_color(d, o), text, width - 2 - cols > 0 ? width - 2 - cols : 0,
		"", disp_reset(d));
}

static void banner_glyphs(struct display *d, enum db_outcome o, const char *word, int width)
{
	/* doubled columns keep the letters square when they fit */
	int scale = (int)strlen(word) * 12 + 4 <= width ? 2 : 1;
	const char *ink = d->utf8 ? "\u2588" : "#";

	for (int row = 0; row < GLYPH_ROWS; row++) {
		char line[1024] = "";
		size_t len = 0;
		int cols = 0;

		for (const char *w = word; *w; w++) {
			for (const char *g = glyph_row(*w, row); *g; g++)
				for (int k = 0; k < scale; k++, cols++)
					len += (size_t)snprintf(line + len, sizeof(line) - len, "%s",
								*g == '#' ? ink : " ");
			for (int k = 0; k < scale; k++, cols++)
				len += (size_t)snprintf(line + len, sizeof(line) - len, " ");
		}
		banner_line(d, o, line, cols, width);
	}
}

#define TEXT_LINES 4	/* a reason wraps over this many lines at most */

/* label and text, wrapped over up to TEXT_LINES lines; a longer text is
 * cut, its last line ended by an ellipsis.  Was it cut? */
static bool banner_text(struct display *d, enum db_outcome o, const char *label,
			const char *text, int width)
{
	const char *mark = d->utf8 ? "\u2026" : "...";
	int markw = d->utf8 ? 1 : 3, room0 = width - 4 - (int)strlen(label);
	size_t len = strlen(text);

	if (room0 < 10)
		room0 = 10;
	/* wrap long reasons over a few lines rather than cut them */
	for (int i = 0; i < TEXT_LINES && (i == 0 || len > 0); i++) {
		char line[512];
		bool last = i == TEXT_LINES - 1 && len > (size_t)room0;
		int room = last ? room0 - markw : room0;
		int take = len > (size_t)room ? room : (int)len;

		while (take < (int)len && take > room / 2 && text[take] != ' ')
			take--;		/* break at a space when there is one */
		if (take <= room / 2)
			take = len > (size_t)room ? room : (int)len;

		snprintf(line, sizeof(line), "%-*s%.*s%s", (int)strlen(label), i ? "" : label, take,
			 text, last ? mark : "");
		banner_line(d, o, line, (int)strlen(line) - (last ? (int)strlen(mark) - markw : 0),
			    width);
		text += take;
		len -= (size_t)take;
		for (; len && *text == ' '; text++)
			len--;
	}
	return len > 0;
}

void disp_banner(struct display *d, const struct fx_state *f, enum db_outcome o,
		 const char *failed_step, const char *reason)
{
	int width = disp_term_width(d) - 1;
	char line[512], step[256], why[ST_ERRMSG_MAX * 2];

	if (width > 72)
		width = 72;
	banner_line(d, o, "", 0, width);
	banner_glyphs(d, o, disp_verdict_word(o), width);
	banner_line(d, o, "", 0, width);
	snprintf(line, sizeof(line), "%s  fixture %s  unit %s  %.1f s", disp_verdict_word(o), f->name,
		 f->serial, (f->t_end - f->t0) / 1e6);
	/* wider than the terminal (not the band: a long serial may pass the
	 * band's 72 columns on a wide one), wrapped as the reason is: it broke
	 * the banner on a narrow terminal (40 columns: 42 characters) */
	if ((int)strlen(line) + 2 <= disp_term_width(d) - 1)
		banner_line(d, o, line, (int)strlen(line), width);
	else
		banner_text(d, o, "", line, width);
	if (o == DB_ERROR)
		banner_text(d, o, "", "a station fault: the board may be good; fix the station and test it again", width);
	if (o != DB_PASS) {
		disp_shown(step, sizeof(step), failed_step ? failed_step : "?");
		disp_shown(why, sizeof(why), reason ? reason : "?");
		banner_text(d, o, "step:   ", step, width);
		if (banner_text(d, o, "reason: ", why, width)) {
			/* the unit's runs by its serial; a run without one by its id */
			bool known = f->serial[0] && strcmp(f->serial, "?") &&
				     strcmp(f->serial, "unidentified");

			snprintf(line, sizeof(line), "%-8s(cut: the whole reason: %s%s)", "",
				 known || f->run_id[0] ? "station trace " : "the log",
				 known ? f->serial : f->run_id);
			banner_text(d, o, "", line, width);
		}
	}
	banner_line(d, o, "", 0, width);
}
