/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The log as a read backend (db/db_reader.h): its slots are the queries of
 * db_read.c, db_quality.c and db_report*.c; and the dispatch every backend
 * goes through.
 */
#include "db/db-internal.h"

static int log_report(void *h, const struct rep_filter *f, struct report *r,
		      struct st_error *e)
{
	return report_build(h, f, r, e);
}

static int log_export(void *h, const char *what, const struct rep_filter *f, db_row_fn fn,
		      void *ctx, struct st_error *e)
{
	return db_export_rows(h, what, f, fn, ctx, e);
}

static int log_trace(void *h, enum db_trace_q q, const char *key, int64_t key_id, db_row_fn fn,
		     void *ctx, struct st_error *e)
{
	return db_trace_rows(h, q, key, key_id, fn, ctx, e);
}

static int log_wide(void *h, enum db_wide_q q, const struct rep_filter *f, db_row_fn fn,
		    void *ctx, struct st_error *e)
{
	return db_wide_rows(h, q, f, fn, ctx, e);
}

static int log_series(void *h, const char *name, const struct rep_filter *f, bool first_only,
		      const struct db_series_window *w, db_row_fn fn, void *ctx, struct st_error *e)
{
	return db_meas_series(h, name, f, first_only, w, fn, ctx, e);
}

static int log_kinds(void *h, const char *name, const struct rep_filter *f, bool first_only,
		     bool exact, db_row_fn fn, void *ctx, struct st_error *e)
{
	return db_meas_kinds(h, name, f, first_only, exact, fn, ctx, e);
}

static int log_capability(void *h, const struct rep_filter *f, bool first_only, db_row_fn fn,
			  void *ctx, struct st_error *e)
{
	return db_capability_rows(h, f, first_only, fn, ctx, e);
}

static int log_capability_sums(void *h, const struct rep_filter *f, bool all_runs, db_row_fn fn,
			       void *ctx, struct st_error *e)
{
	return db_capability_sums(h, f, all_runs, fn, ctx, e);
}

static int log_operations(void *h, enum db_op_q q, const struct rep_filter *f, bool with_errors,
			  db_row_fn fn, void *ctx, struct st_error *e)
{
	return db_operation_rows(h, q, f, with_errors, fn, ctx, e);
}

static const struct db_reader_ops log_reader = {
	.name = "log",
	.report = log_report,
	.export_rows = log_export,
	.trace_rows = log_trace,
	.wide_rows = log_wide,
	.meas_series = log_series,
	.meas_kinds = log_kinds,
	.capability_rows = log_capability,
	.capability_sums = log_capability_sums,
	.operation_rows = log_operations,
};

void dbi_reader_init(struct db *db)
{
	db->rd = (struct db_reader){ .ops = &log_reader, .h = db, .where = db->path };
}

const struct db_reader *db_reader(struct db *db)
{
	return &db->rd;
}

static int notsup(const struct db_reader *rd, const char *what, struct st_error *e)
{
	return st_fail(e, ST_ERR_NOTSUP, "the %s %s cannot answer %s: read a station's log "
		       "(--db) instead", rd->ops->name, rd->where, what);
}

int rd_report(const struct db_reader *rd, const struct rep_filter *f, struct report *r,
	      struct st_error *e)
{
	if (!rd->ops->report)
		return notsup(rd, "the report's totals", e);
	return rd->ops->report(rd->h, f, r, e);
}

int rd_export_rows(const struct db_reader *rd, const char *what, const struct rep_filter *f,
		   db_row_fn fn, void *ctx, struct st_error *e)
{
	if (!rd->ops->export_rows)
		return notsup(rd, "export", e);
	return rd->ops->export_rows(rd->h, what, f, fn, ctx, e);
}

int rd_trace_rows(const struct db_reader *rd, enum db_trace_q q, const char *key,
		  int64_t key_id, db_row_fn fn, void *ctx, struct st_error *e)
{
	if (!rd->ops->trace_rows)
		return notsup(rd, "trace", e);
	return rd->ops->trace_rows(rd->h, q, key, key_id, fn, ctx, e);
}

int rd_wide_rows(const struct db_reader *rd, enum db_wide_q q, const struct rep_filter *f,
		 db_row_fn fn, void *ctx, struct st_error *e)
{
	if (!rd->ops->wide_rows)
		return notsup(rd, "export --what wide", e);
	return rd->ops->wide_rows(rd->h, q, f, fn, ctx, e);
}

int rd_meas_series(const struct db_reader *rd, const char *name, const struct rep_filter *f,
		   bool first_only, const struct db_series_window *w, db_row_fn fn, void *ctx,
		   struct st_error *e)
{
	if (!rd->ops->meas_series)
		return notsup(rd, "report --spc", e);
	return rd->ops->meas_series(rd->h, name, f, first_only, w, fn, ctx, e);
}

int rd_meas_kinds(const struct db_reader *rd, const char *name, const struct rep_filter *f,
		  bool first_only, bool exact, db_row_fn fn, void *ctx, struct st_error *e)
{
	if (!rd->ops->meas_kinds)
		return 0;
	return rd->ops->meas_kinds(rd->h, name, f, first_only, exact, fn, ctx, e);
}

int rd_capability_rows(const struct db_reader *rd, const struct rep_filter *f, bool first_only,
		       db_row_fn fn, void *ctx, struct st_error *e)
{
	if (!rd->ops->capability_rows)
		return notsup(rd, "report --capability", e);
	return rd->ops->capability_rows(rd->h, f, first_only, fn, ctx, e);
}

int rd_capability_sums(const struct db_reader *rd, const struct rep_filter *f, bool all_runs,
		       db_row_fn fn, void *ctx, struct st_error *e)
{
	if (!rd->ops->capability_sums)
		return st_fail(e, ST_ERR_NOTSUP, "the %s %s keeps no capability cells", rd->ops->name,
			       rd->where);
	return rd->ops->capability_sums(rd->h, f, all_runs, fn, ctx, e);
}

int rd_capability_keys(const struct db_reader *rd, const struct rep_filter *f, db_row_fn fn,
		       void *ctx, struct st_error *e)
{
	if (!rd->ops->capability_keys)
		return st_fail(e, ST_ERR_NOTSUP, "the %s %s combines no capability cells",
			       rd->ops->name, rd->where);
	return rd->ops->capability_keys(rd->h, f, fn, ctx, e);
}

int rd_group_sums(const struct db_reader *rd, const char *key, const struct rep_filter *f,
		  bool with_errors, db_row_fn fn, void *ctx, struct st_error *e)
{
	if (!rd->ops->group_sums)
		return st_fail(e, ST_ERR_NOTSUP, "the %s %s keeps no group sums", rd->ops->name,
			       rd->where);
	return rd->ops->group_sums(rd->h, key, f, with_errors, fn, ctx, e);
}

int rd_operation_rows(const struct db_reader *rd, enum db_op_q q, const struct rep_filter *f,
		      bool with_errors, db_row_fn fn, void *ctx, struct st_error *e)
{
	if (!rd->ops->operation_rows)
		return notsup(rd, "report --operations and --group-by", e);
	return rd->ops->operation_rows(rd->h, q, f, with_errors, fn, ctx, e);
}
