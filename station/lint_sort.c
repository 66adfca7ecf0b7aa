/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loader finds problems in the order its checks run; an author reads a
 * file top to bottom.  Sort "file:line:col: message" lines by file (in the
 * order files first appear), line and column, keeping equal places stable.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "station/lint.h"

struct err_line {
	const char *text;
	size_t len;
	int file;	/* order in which files first appear */
	long line, col;
	int seq;	/* stable among equals */
};

static int err_cmp(const void *a, const void *b)
{
	const struct err_line *x = a, *y = b;

	if (x->file != y->file)
		return x->file - y->file;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq - y->seq;
}

/* "file:line:col: msg" -> its parts; false when the line is not of that form. */
static bool err_place(const char *s, size_t len, size_t *flen, long *line, long *col)
{
	for (size_t i = 0; i < len; i++) {
		char *end;

		if (s[i] != ':' || i + 1 >= len || s[i + 1] < '0' || s[i + 1] > '9')
			continue;
		*line = strtol(s + i + 1, &end, 10);
		if (*end != ':' || end[1] < '0' || end[1] > '9')
			continue;
		*col = strtol(end + 1, &end, 10);
		if (*end != ':')
			continue;
		*flen = i;
		return true;
	}
	return false;
}

void lint_sort_errors(char *errors)
{
	struct err_line *v = NULL;
	size_t n = 0, cap = 0, total = strlen(errors);
	char *copy, *p;

	copy = malloc(total + 1);
	if (!copy)
		return;
	for (p = errors; *p;) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p), flen = 0;
		struct err_line e = { .text = p, .len = len, .seq = (int)n, .file = 1 << 20 };

		if (n == cap) {
			struct err_line *nv = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(*nv));

			if (!nv)
				goto out;
			v = nv;
		}
		if (err_place(p, len, &flen, &e.line, &e.col)) {
			e.file = (int)n;
			for (size_t j = 0; j < n; j++) {
				size_t fj = 0;
				long a, b;

				if (err_place(v[j].text, v[j].len, &fj, &a, &b) && fj == flen &&
				    !strncmp(v[j].text, p, flen)) {
					e.file = v[j].file;
					break;
				}
			}
		}
		v[n++] = e;
		p += len;
	}
	qsort(v, n, sizeof(*v), err_cmp);
	p = copy;
	for (size_t i = 0; i < n; i++) {
		memcpy(p, v[i].text, v[i].len);
		p += v[i].len;
	}
	*p = '\0';
	memcpy(errors, copy, total + 1);
out:
	free(v);
	free(copy);
}
