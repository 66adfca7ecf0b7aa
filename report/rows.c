/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rows and values as every output prints them: CSV cells (RFC 4180), typed
 * JSON rows, times and numbers; and station export, which is only that.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/text.h"
#include "report/report-internal.h"

const char *rep_iso(char buf[32], int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

const char *rep_num(char buf[32], double v)
{
	snprintf(buf, 32, "%.15g", v);
	return buf;
}

const char *rep_num_exact(char buf[32], double v)
{
	/* 15 digits hold most values as they were written (3.3, not
	 * 3.2999999999999998); 17 hold every double */
	for (int p = 15; p <= 17; p++) {
		snprintf(buf, 32, "%.*g", p, v);
		if (!isfinite(v) || strtod(buf, NULL) == v)
			break;
	}
	return buf;
}

/* v as jansson writes a real (a '.' or an 'e' in it, no '+' or leading
 * zero in the exponent), in the digits of rep_num_exact(). */
static const char *json_num_exact(char buf[40], double v)
{
	char *e, *end;

	rep_num_exact(buf, v);
	if (!strchr(buf, '.') && !strchr(buf, 'e'))
		strcat(buf, ".0");
	e = strchr(buf, 'e');
	if (e) {
		e++;
		end = e + 1;
		if (*e == '-')
			e++;
		while (*end == '0')
			end++;
		if (end != e)
			memmove(e, end, strlen(end) + 1);
	}
	return buf;
}

/* j compact, as json_dumpf() writes it with JSON_COMPACT, its reals in
 * the fewest digits that read back as the same double. */
static void json_put_exact(FILE *f, json_t *j)
{
	const char *k;
	json_t *v, *ks;
	size_t i;
	bool first = true;
	char num[40];

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		fputc('{', f);
		json_object_foreach(j, k, v) {
			if (!first)
				fputc(',', f);
			first = false;
			ks = json_string(k);
			if (ks)
				json_dumpf(ks, f, JSON_ENCODE_ANY);
			json_decref(ks);
			fputc(':', f);
			json_put_exact(f, v);
		}
		fputc('}', f);
		break;
	case JSON_ARRAY:
		fputc('[', f);
		json_array_foreach(j, i, v) {
			if (i)
				fputc(',', f);
			json_put_exact(f, v);
		}
		fputc(']', f);
		break;
	case JSON_REAL:
		fputs(json_num_exact(num, json_real_value(j)), f);
		break;
	default:
		json_dumpf(j, f, JSON_ENCODE_ANY | JSON_COMPACT);
		break;
	}
}

void rep_json_print_exact(FILE *f, json_t *j)
{
	json_put_exact(f, j);
	fputc('\n', f);
}

const char *rep_filters_str(const struct rep_filter *flt, char *buf, size_t cap)
{
	const struct {
		const char *label, *value;
	} named[] = {
		{ "outcome", flt->outcome }, { "serial", flt->serial }, { "station", flt->station },
		{ "operator", flt->operator_name }, { "work order", flt->work_order },
		{ "part number", flt->part_number }, { "revision", flt->revision },
	};
	char a[32], b[32];
	size_t n = 0;

	/* the empty name as "", as text shows a name (rep_name_dup) */
#define NAME(s) (*(s) ? (s) : "\"\"")
#define ADD(...) (n += n < cap ? (size_t)snprintf(buf + n, cap - n, __VA_ARGS__) : 0)
	buf[0] = '\0';
	if (flt->has_since)
		ADD(" since %s", rep_iso(a, flt->since_us));
	if (flt->has_until)
		ADD(" until %s", rep_iso(b, flt->until_us));
	if (flt->fixture)
		ADD(" fixture %s", NAME(flt->fixture));
	if (flt->seq_name)
		ADD(" sequence %s%s%s", NAME(flt->seq_name), flt->seq_version ? "@" : "",
		    flt->seq_version ? flt->seq_version : "");
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (named[i].value)
			ADD(" %s %s", named[i].label, NAME(named[i].value));
#undef ADD
#undef NAME
	if (!buf[0])
		snprintf(buf, cap, " none");
	return buf + 1;
}

const char *rep_meas_key(const struct rep_meas *m, char *buf, size_t cap)
{
	char lo[32] = "-", hi[32] = "-";

	if (m->has_low)
		rep_num(lo, m->low);
	if (m->has_high)
		rep_num(hi, m->high);
	snprintf(buf, cap, "%s/%s/%s [%s..%s]", m->sequence ? m->sequence : "-", m->step, m->name,
		 lo, hi);
	return buf;
}

const char *rep_now_iso(char buf[32])
{
	return rep_iso(buf, (int64_t)time(NULL) * 1000000);
}

/* A text cell: shown (no control character, no raw line break), quoted as
 * RFC 4180 asks, a formula defused (common/text.h: st_text_csv). */
void rep_csv_field(FILE *f, const char *s)
{
	char buf[256], *cell = buf;
	size_t need;

	if (!s)
		return;
	need = st_text_csv(buf, sizeof(buf), s);
	if (need >= sizeof(buf) && (cell = malloc(need + 1)) != NULL)
		st_text_csv(cell, need + 1, s);
	fputs(cell ? cell : "", f);
	if (cell != buf)
		free(cell);
}

static void csv_header(FILE *f, const struct db_row *row)
{
	for (int c = 0; c < row->n; c++) {
		if (c)
			fputc(',', f);
		rep_csv_field(f, row->name[c]);
	}
	fputs("\r\n", f);
}

static void csv_row(FILE *f, const struct db_row *row)
{
	char num[32];

	for (int c = 0; c < row->n; c++) {
		const struct db_value *v = &row->v[c];

		if (c)
			fputc(',', f);
		if (v->type == DB_REAL)
			fputs(rep_num_exact(num, v->d), f);
		else if (v->type == DB_INT)
			fprintf(f, "%lld", (long long)v->i);
		else if (v->type == DB_TEXT)
			rep_csv_field(f, v->s);
	}
	fputs("\r\n", f);
}

json_t *rep_row_json(const struct db_row *row)
{
	json_t *o = json_object();

	for (int c = 0; c < row->n; c++) {
		const struct db_value *v = &row->v[c];
		json_t *j;

		switch (v->type) {
		case DB_INT: j = json_integer(v->i); break;
		case DB_REAL: j = json_real(v->d); break;
		case DB_TEXT: j = rep_json_text(v->s); break;	/* not UTF-8: \xNN */
		default: j = json_null(); break;
		}
		json_object_set_new(o, row->name[c], j ? j : json_null());
	}
	return o;
}

void rep_json_print(FILE *f, json_t *j, bool pretty)
{
	size_t flags = JSON_REAL_PRECISION(15) | JSON_PRESERVE_ORDER;

	json_dumpf(j, f, flags | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
	fputc('\n', f);
}

struct export_ctx {
	FILE *out;
	bool csv;
};

static int export_row(void *ctx, const struct db_row *row)
{
	struct export_ctx *x = ctx;

	if (x->csv) {
		if (row->columns_only)
			csv_header(x->out, row);
		else
			csv_row(x->out, row);
	} else if (!row->columns_only) {
		json_t *j = rep_row_json(row);

		rep_json_print_exact(x->out, j);
		json_decref(j);
	}
	return 0;
}

int report_export(FILE *out, const struct db_reader *rd, const char *what, const struct rep_filter *f,
		  const char *format, struct st_error *e)
{
	struct export_ctx x = { .out = out, .csv = !strcmp(format, "csv") };

	return rd_export_rows(rd, what, f, export_row, &x, e);
}
