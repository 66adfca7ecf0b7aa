/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The line's MES, as station run and station serve call it (docs/api.md, "MES hooks"):
 * before a run, may this serial be tested at this operation (the MES's
 * reason when not); after it, the run's result document.  There is no
 * standard MES API: the two calls below are this station's contract, which
 * an MES adapter implements (tools/mes-sim is ours).  Every call has a
 * timeout, a bounded number of attempts and a backoff; a result that could
 * not be delivered is queued in the log by the caller and sent again by
 * `station mes sync`, keyed by its run id (Idempotency-Key), so the MES
 * sees each result once.
 */
#ifndef ST_MES_MES_H
#define ST_MES_MES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct mes_config {
	const char *url;	/* base: {url}/precheck, {url}/results */
	const char *ca_file;	/* https: the MES's CA (NULL: the system's) */
	const char *token;	/* Authorization: Bearer (NULL: none) */
	const char *operation;	/* what this station does, for the pre-check */
	bool precheck;		/* ask before each run */
	int timeout_ms, attempts, backoff_ms;
};

/* What the pre-check names. */
struct mes_unit {
	const char *serial, *station, *fixture, *operator_name;
	const char *work_order, *part_number, *revision;
};

#define MES_REASON_MAX 512

/* ST_OK: the MES answered, *allowed and (when not) its reason (as received,
 * for the caller to escape); an error: it did not answer in time or
 * answered something else (e says what). */
int mes_precheck(const struct mes_config *c, const struct mes_unit *u, bool *allowed,
		 char reason[MES_REASON_MAX], struct st_error *e);
/* POST {url}/results, doc (JSON) keyed by run_id: ST_OK when the MES took
 * it (2xx, or 409: it has it already). */
int mes_post_result(const struct mes_config *c, const char *run_id, const char *doc,
		    struct st_error *e);

#endif
