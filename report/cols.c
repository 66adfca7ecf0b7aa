/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The text tables' name columns: names come from outside (a step, a
 * measurement, a fixture, a serial) and may be long or not ASCII, so a
 * column is as wide as its widest cell as shown (common/text.h), counted in
 * terminal columns, not bytes (printf's %-20s counts bytes: "Größe" is
 * 7 of them and would leave its row two columns short).
 */
#include <stdlib.h>

#include "common/text.h"
#include "report/report-internal.h"

char *rep_name_dup(const char *raw)
{
	return st_text_show_dup(!raw ? "" : *raw ? raw : "\"\"");
}

int rep_col_width(int width, const char *raw)
{
	char *shown = rep_name_dup(raw);
	int w = shown ? st_text_width(shown) : 1;

	free(shown);
	return w > width ? w : width;
}

void rep_col(FILE *f, const char *raw, int width)
{
	char *shown = rep_name_dup(raw);

	fputs(shown ? shown : "?", f);
	for (int w = shown ? st_text_width(shown) : 1; w < width; w++)
		fputc(' ', f);
	free(shown);
}
