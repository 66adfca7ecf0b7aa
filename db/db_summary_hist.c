/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The measurement summaries' histograms (docs/database.md, Summaries): a
 * fixed frame per measurement, its bins as little-endian uint32 in a blob,
 * and the SQL functions that count into one: st_hist_add (one value, as a
 * run ends), st_hist_agg (an aggregate of values, a rebuild from the rows)
 * and st_hist_sum (an aggregate of blobs, hour cells into a day cell).
 */
#include <math.h>
#include <string.h>

#include "db/db-internal.h"

void db_hist_frame(double low, double high, double ref, struct db_hist_frame *f)
{
	bool has_low = !isnan(low), has_high = !isnan(high);
	double c = ref, d;

	if (has_low && has_high && high > low) {
		f->lo = low;
		f->hi = high;
		f->width = (high - low) / DB_HIST_IN;
		return;
	}
	/* One limit: the first value half way across the frame, the limit at
	 * its edge; otherwise a frame of +-5 % about the first value. */
	if (has_high && !has_low && ref < high) {
		f->lo = high - 2 * (high - ref);
		f->hi = high;
	} else if (has_low && !has_high && ref > low) {
		f->lo = low;
		f->hi = low + 2 * (ref - low);
	} else {
		if (has_low || has_high)
			c = has_low ? low : high;
		d = fabs(c) * 0.05;
		if (!(d > 0) || !isfinite(d))
			d = 1.0;
		f->lo = c - d;
		f->hi = c + d;
	}
	f->width = (f->hi - f->lo) / DB_HIST_IN;
}

int db_hist_bin(const struct db_hist_frame *f, double v)
{
	double x = (v - f->lo) / f->width;

	if (!(x > -DB_HIST_OUT))	/* also NAN */
		return 0;
	if (x >= DB_HIST_IN && v <= f->hi)	/* hi belongs to the last inner bin */
		return DB_HIST_OUT + DB_HIST_IN - 1;
	if (x >= DB_HIST_IN + DB_HIST_OUT)
		return DB_HIST_BINS - 1;
	return (int)floor(x) + DB_HIST_OUT;
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

void db_hist_add_blob(int64_t counts[DB_HIST_BINS], const void *blob, int len)
{
	const unsigned char *p = blob;

	for (int i = 0; i < DB_HIST_BINS && (i + 1) * 4 <= len; i++)
		counts[i] += get_le32(p + 4 * i);
}

/* st_hist_add(bins, i): the bins blob with one more count in bin i. */
static void sql_hist_add(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	unsigned char out[DB_HIST_BINS * 4] = { 0 };
	const void *in = sqlite3_value_blob(argv[0]);
	int len = sqlite3_value_bytes(argv[0]);
	int i = sqlite3_value_int(argv[1]);

	if (in)
		memcpy(out, in, len < (int)sizeof(out) ? (size_t)len : sizeof(out));
	if (i >= 0 && i < DB_HIST_BINS)
		put_le32(out + 4 * i, get_le32(out + 4 * i) + 1);
	sqlite3_result_blob(ctx, out, sizeof(out), SQLITE_TRANSIENT);
}

/* The histogram of an aggregate. */
struct hist_acc {
	uint32_t n[DB_HIST_BINS];
};

static void hist_result(sqlite3_context *ctx)
{
	struct hist_acc *a = sqlite3_aggregate_context(ctx, 0);
	unsigned char out[DB_HIST_BINS * 4] = { 0 };

	for (int i = 0; a && i < DB_HIST_BINS; i++)
		put_le32(out + 4 * i, a->n[i]);
	sqlite3_result_blob(ctx, out, sizeof(out), SQLITE_TRANSIENT);
}

/* st_hist_agg(value, lo, width, hi): the bins blob of the values in the
 * frame (lo, width, hi), as st_hist_add() counts them one at a time. */
static void sql_hist_agg(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct hist_acc *a = sqlite3_aggregate_context(ctx, sizeof(*a));
	struct db_hist_frame f = { sqlite3_value_double(argv[1]), sqlite3_value_double(argv[2]),
				   sqlite3_value_double(argv[3]) };

	(void)argc;
	if (!a) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	a->n[db_hist_bin(&f, sqlite3_value_double(argv[0]))]++;
}

/* st_hist_sum(bins): bins blobs added up. */
static void sql_hist_sum(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct hist_acc *a = sqlite3_aggregate_context(ctx, sizeof(*a));
	const unsigned char *p = sqlite3_value_blob(argv[0]);
	int len = sqlite3_value_bytes(argv[0]);

	(void)argc;
	if (!a) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	for (int i = 0; p && i < DB_HIST_BINS && (i + 1) * 4 <= len; i++)
		a->n[i] += get_le32(p + 4 * i);
}

int dbi_sum_register(struct db *db, struct st_error *e)
{
	const int fl = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;
	int rc = sqlite3_create_function(db->h, "st_hist_add", 2, fl, NULL, sql_hist_add, NULL,
					 NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db->h, "st_hist_agg", 4, fl, NULL, NULL, sql_hist_agg,
					     hist_result);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db->h, "st_hist_sum", 1, fl, NULL, NULL, sql_hist_sum,
					     hist_result);
	return rc == SQLITE_OK ? ST_OK : dbi_fail(db, e, rc, "register a function");
}
