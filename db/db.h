/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The production log.  One connection shared by every fixture thread
 * (calls are serialised inside); WAL so that a reader never blocks the
 * line; prepared statements only.  A step's results (outcome, measurements,
 * images, identity, CMS registration) are committed in one transaction when
 * the step ends, so a kill -9 loses at most the step in flight.
 */
#ifndef ST_DB_DB_H
#define ST_DB_DB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

struct db;

struct db_opts {
	bool sync_full;	/* PRAGMA synchronous=FULL (power-loss safe); default NORMAL */
	bool readonly;	/* never writes; an out-of-date log is refused, not migrated */
	bool must_exist; /* refuse to create a new log (reports, trace, export) */
	bool as_is;	/* neither create nor upgrade the schema (station db check) */
	/* A log another program holds locked is waited for up to 5 s per
	 * write; once *stop is set (a station stopping), DB_BUSY_STOP_MS. */
	const atomic_bool *stop;
};

/* The schema this build writes (PRAGMA user_version).  db_open() brings an
 * older log up to it in place, in one transaction (db/migrate.c). */
#define DB_SCHEMA_VERSION 16

#define DB_ID_LEN 33 /* 32 hex chars + NUL: run ids unique across stations */

/* o may be NULL (defaults).  Creates the file and its schema when missing. */
int db_open(struct db **out, const char *path, const struct db_opts *o, struct st_error *e);
#define DB_BUSY_STOP_MS 500
void db_close(struct db *db);
/* The schema version the file had when opened: 0 = new log; less than
 * DB_SCHEMA_VERSION = db_open() migrated it. */
int db_found_version(struct db *db);
const char *db_path(struct db *db);
/* Wall-clock now, unix epoch microseconds (the log's time unit). */
int64_t db_now_us(void);

/* Is the run on this fixture live in another station process (it shares the
 * log)?  Then recovery leaves it alone. */
typedef bool (*db_run_live_fn)(const char *fixture, void *ctx);
/* Mark runs left unfinished by a crash as aborted (reason names the last
 * completed step), except those live() says another station is running
 * (live NULL: every one).  *n: how many were marked; *n_live: how many were
 * left as live (either may be NULL). */
int db_recover(struct db *db, db_run_live_fn live, void *ctx, int *n, int *n_live,
	       struct st_error *e);
/* The log's pages: how many, how many free (left by deleted rows or a
 * table an upgrade moved), their size in bytes. */
struct db_space {
	int64_t pages, free_pages, page_size;
};
int db_space(struct db *db, struct db_space *s, struct st_error *e);
/* Take, for as long as the log is compacted, what keeps stations off the
 * log's fixtures (the n fixtures it names): ST_OK, or why not (a station
 * holds one). */
typedef int (*db_hold_fn)(const char *const *fixtures, int n, void *ctx, struct st_error *e);
/* VACUUM: the log rewritten without its free pages, each table's pages
 * together, after hold() took every fixture of the log (hold NULL: not
 * asked; the caller lets them go after).  before, after: its pages;
 * *wal_kept: readers open on the log kept its -wal file from being
 * emptied, so that the file keeps its old size until they close. */
int db_compact(struct db *db, db_hold_fn hold, void *ctx, struct db_space *before,
	       struct db_space *after, bool *wal_kept, struct st_error *e);
/* PRAGMA integrity_check and foreign_key_check; ST_OK when both find
 * nothing, message otherwise. */
int db_check(struct db *db, struct st_error *e);
/* PRAGMA quick_check alone: the pages, rows and their order, not the
 * indexes' contents against the tables nor the foreign keys; seconds
 * instead of a minute and a half on a million runs. */
int db_quick_check(struct db *db, struct st_error *e);

enum db_outcome {
	DB_PASS = 0, DB_FAIL, DB_ERROR, DB_SKIPPED, DB_ABORTED, DB_RUNNING
};
const char *db_outcome_name(enum db_outcome o);

struct db_run_info {
	const char *unit_serial;
	const char *station;
	const char *fixture;
	const char *operator_name;
	const char *work_order, *part_number, *revision;	/* NULL: none given */
	const char *sequence_name;
	const char *sequence_version;
	const char *sequence_sha256;	/* hex */
	const char *software_version;
	int64_t started_us;	/* 0: now (importers and generators set it) */
};

int db_run_begin(struct db *db, const struct db_run_info *ri, char run_id[DB_ID_LEN],
		 struct st_error *e);
/* Fill in the unit serial once it is known (scanned / read from the board). */
int db_run_set_serial(struct db *db, const char *run_id, const char *serial, struct st_error *e);
/* Record the SHA-256 of a file the run's sequence was built from (includes, limits). */
int db_run_file(struct db *db, const char *run_id, const char *path, const char *sha256,
		struct st_error *e);
int db_run_end(struct db *db, const char *run_id, enum db_outcome o, const char *reason,
	       struct st_error *e);

struct db_measurement {
	const char *name;
	double value;		/* NAN when the measurement is a string */
	const char *text;	/* string measurements (expected-string checks), else NULL */
	const char *unit;
	double low, high;	/* NAN when absent */
	const char *expect;	/* expected string, else NULL */
	enum db_outcome outcome;
};

struct db_image {
	const char *path;
	const char *sha256;	/* of the file */
	const char *format;	/* "raw", "ihex", "elf", "exec" */
	uint32_t address;
	uint64_t size;		/* bytes actually written */
	const char *chip_id;	/* e.g. "0x0414", may be NULL */
};

struct db_identity {
	const char *chip_serial;
	const char *cert_serial;	/* hex */
	const char *subject;
	const char *issuer;
	const char *not_before;		/* "YYYY-MM-DD HH:MM:SS" UTC */
	const char *not_after;
	const char *fingerprint;	/* SHA-256 of the DER leaf, hex */
	const char *spki_sha256;	/* SHA-256 of SubjectPublicKeyInfo DER, hex */
	const char *subject_serial;	/* 802.1AR serialNumber */
	const char *masa_url;
	const char *nonce;		/* proof of possession: hex */
	const char *signature;		/* hex DER */
	const char *dpp_uri;
	const char *pem_chain;
	/* the identity policy's record (table identity_trust; all may be NULL) */
	const char *trust;		/* the trust store's path */
	const char *anchor_sha256;	/* the anchor the chain ended at */
	const char *anchor_subject;
	const char *revocation;		/* "none", "crl:<path>", "cms:<url>", both */
	const char *masa_encoding;
	bool passed;			/* every identity check passed */
};

struct db_cms {
	const char *status;	/* "registered", "already-registered", "failed" */
	const char *cms_id;
	int attempts;
	int http_status;
};

struct db_kv {			/* captured values, exec output, ... */
	const char *key;
	const char *value;
};

struct db_step {
	int index;		/* position in the run, 0-based */
	const char *name;
	const char *kind;
	const char *phase;	/* "setup", "steps", "teardown" */
	enum db_outcome outcome;
	const char *reason;	/* NULL on pass */
	int64_t started_us;	/* unix epoch microseconds */
	int64_t ended_us;
	int attempts;
	const struct db_measurement *meas;
	int n_meas;
	const struct db_image *image;		/* may be NULL */
	const struct db_identity *identity;	/* may be NULL */
	const struct db_cms *cms;		/* may be NULL */
	const struct db_kv *kv;
	int n_kv;
};

/* One transaction: the step row and everything attached to it. */
int db_step_log(struct db *db, const char *run_id, const struct db_step *s, struct st_error *e);

/*
 * Clone detection.  An identity (certificate fingerprint or SPKI hash, either
 * may be NULL, compared case-insensitively) that passed before is a clone
 * when it was logged for another unit, or for this unit but in another SE
 * chip (a copied SE in a board that bears the original's serial).  Returns
 * 1 on a hit (out: the earlier unit and its chip serial), 0 when not seen,
 * negative st_err on a log error.
 */
struct db_identity_key {
	const char *fingerprint, *spki_sha256;
	const char *unit_serial;	/* this board's; NULL: any earlier unit is another */
	const char *chip_serial;	/* this SE's; NULL: not compared */
};
struct db_identity_hit {
	char unit[64];
	char chip[64];		/* "" when the earlier run logged none */
};
int db_identity_seen(struct db *db, const struct db_identity_key *k, struct db_identity_hit *out,
		     struct st_error *e);

/* --- the identity policy (db_identity.c) -------------------------------- */
/* The trust anchors a run's identity checks used (table run_anchors). */
struct db_anchor {
	const char *sha256;
	const char *subject;
};
int db_run_anchors(struct db *db, const char *run_id, const char *trust,
		   const struct db_anchor *a, int n, struct st_error *e);
/* A suspect mark (table suspects). */
struct db_suspect {
	const char *unit_serial;	/* NULL: the copy's run has no unit of its own */
	const char *run_id;		/* the run that detected it */
	const char *role;		/* "original" or "copy" */
	const char *chip_serial;
	const char *fingerprint;
	const char *reason;
};
int db_suspect_mark(struct db *db, const struct db_suspect *s, struct st_error *e);
/* Clear a run's unit serial (the identity proved it is not that unit). */
int db_run_clear_serial(struct db *db, const char *run_id, struct st_error *e);

/* The MES's copy of a run's result (mes_results): kept before it is sent,
 * marked sent once the MES took it, so each reaches it once. */
int db_mes_keep(struct db *db, const char *run_id, const char *document, struct st_error *e);
struct db_mes_result {
	int64_t id;
	char *run_id, *document;
};
/* The results not yet sent, oldest first (free with db_mes_results_free). */
int db_mes_pending(struct db *db, struct db_mes_result **out, int *n, struct st_error *e);
void db_mes_results_free(struct db_mes_result *r, int n);
/* A try: sent (error NULL) or why not. */
int db_mes_tried(struct db *db, int64_t id, const char *error, struct st_error *e);

/* Operator events (start, stop, prompt answers, signal).  run_id and
 * fixture may be NULL. */
int db_event(struct db *db, const char *run_id, const char *fixture, const char *what,
	     const char *detail, struct st_error *e);

/* For tools and tests: the underlying sqlite3 handle (read queries). */
struct sqlite3 *db_handle(struct db *db);

/* Summaries (db/db_summary.c): the histogram of a measurement has a fixed
 * frame, DB_HIST_IN bins between lo and hi (its limits when both are set)
 * and DB_HIST_OUT bins of the same width beyond each, the outermost ones
 * open-ended.  meas_sum.bins holds DB_HIST_BINS little-endian uint32. */
#define DB_HIST_IN 20
#define DB_HIST_OUT 20
#define DB_HIST_BINS (DB_HIST_IN + 2 * DB_HIST_OUT)
struct db_hist_frame {
	double lo, width, hi;
};
/* low/high NAN when absent; ref: the first value seen. */
void db_hist_frame(double low, double high, double ref, struct db_hist_frame *f);
/* The bin of v, 0 .. DB_HIST_BINS-1 (hi itself is in the last inner bin). */
int db_hist_bin(const struct db_hist_frame *f, double v);
/* Add a meas_sum.bins blob to counts. */
void db_hist_add_blob(int64_t counts[DB_HIST_BINS], const void *blob, int len);
/* Rebuild every summary from the rows, in one transaction (after hand
 * edits of runs; db_open() does it when upgrading an older log). */
int db_summary_rebuild(struct db *db, struct st_error *e);

/* --- queued CMS registrations (db_cms.c; `station cms sync`) ---------- */
struct db_cms_queued {
	int64_t id;			/* cms_registrations.id */
	char run_id[DB_ID_LEN];
	char *unit_serial, *station, *fixture;
	char *chip_serial, *fingerprint, *pem_chain;	/* the run's identity */
	int attempts;
};

/* Every registration still 'queued', oldest first, with the identity logged
 * by the same run.  Free with db_cms_queued_free. */
int db_cms_queued_list(struct db *db, struct db_cms_queued **out, int *n, struct st_error *e);
void db_cms_queued_free(struct db_cms_queued *q, int n);
/* Mark a queued registration done (status "registered" with the CMS's id,
 * or "failed" when the CMS refused it) and add attempts to its count, only
 * while it is still queued: 1 when marked, 0 when another sync got there
 * first, negative st_err on a log error. */
int db_cms_mark(struct db *db, int64_t id, const char *status, const char *cms_id,
		int attempts, int http_status, struct st_error *e);
/* The newest CMS registration or enrolment logged for a unit: 1 when there
 * is one (cms_id "" while it is queued or failed), 0 when none. */
struct db_cms_last {
	char status[16];		/* registered, enrolled, queued, failed ... */
	char cms_id[64];
	char run_id[DB_ID_LEN];
};
int db_cms_last(struct db *db, const char *unit_serial, struct db_cms_last *out,
		struct st_error *e);
/* A sync attempt that left it queued: add attempts, keep the last status. */
int db_cms_retried(struct db *db, int64_t id, int attempts, int http_status,
		   struct st_error *e);

#endif
