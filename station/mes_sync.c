/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MES results (mes_sync.h).  Exactly once: a result is a row of the
 * log before it is sent, marked sent (one conditional UPDATE) only after
 * the MES answered 2xx, and sent with its run id as Idempotency-Key, so
 * an MES that took it just before a crash (the mark lost) can tell the
 * second copy; in this process one sender runs at a time.
 */
#define LOG_PREFIX "mes"
#include <pthread.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/text.h"
#include "report/report.h"
#include "station/mes_sync.h"

static pthread_mutex_t sender = PTHREAD_MUTEX_INITIALIZER;

int mes_gate(struct db *db, const struct mes_config *c, const struct mes_unit *u,
	     const char *asker, char *why, size_t cap)
{
	char reason[MES_REASON_MAX], shown[MES_REASON_MAX * 2], detail[4 * MES_REASON_MAX];
	char serial[256];
	struct st_error e = { 0 };
	bool allowed = false;
	int ret;

	if (!c->url || !c->precheck)
		return ST_OK;
	st_text_show(serial, sizeof(serial), u->serial ? u->serial : "");
	if (!serial[0]) {
		ret = ST_ERR_ARG;
		snprintf(why, cap, "the MES pre-check needs the unit's serial before the run: "
			 "scan it first (a prompt for 'serial' in the flow) or give it");
		snprintf(detail, sizeof(detail), "MES not asked for %.255s at %.128s: no serial",
			 asker, c->operation);
	} else if ((ret = mes_precheck(c, u, &allowed, reason, &e)) < 0) {
		snprintf(why, cap, "%s: unit %s not started (the MES must allow each one)", e.msg,
			 serial);
		snprintf(detail, sizeof(detail), "MES not asked about %.255s at %.128s for %.255s: %s",
			 serial, c->operation, asker, e.msg);
	} else if (allowed) {
		snprintf(detail, sizeof(detail), "MES allowed %.255s at %.128s for %.255s", serial,
			 c->operation, asker);
		log_info("%s: %s", u->fixture, detail);
		db_event(db, NULL, u->fixture, "mes", detail, NULL);
		return ST_OK;
	} else {
		ret = ST_ERR_FAIL;
		st_text_show(shown, sizeof(shown), reason);
		snprintf(why, cap, "the MES refuses unit %s at %s: %s", serial, c->operation, shown);
		snprintf(detail, sizeof(detail), "MES refused %.255s at %.128s for %.255s: %s",
			 serial, c->operation, asker, shown);
	}
	log_warn("%s: %s", u->fixture, detail);
	db_event(db, NULL, u->fixture, "mes", detail, NULL);
	return ret;
}

int mes_keep_result(struct db *db, const char *run_id, struct st_error *e)
{
	char *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);
	int ret;

	if (!f)
		return st_fail(e, ST_ERR_NOMEM, "out of memory keeping a result for the MES");
	ret = report_run(f, db_reader(db), run_id, e);
	if (fclose(f) != 0 && ret == ST_OK)
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory keeping a result for the MES");
	if (ret == ST_OK)
		ret = db_mes_keep(db, run_id, doc, e);
	free(doc);
	return ret < 0 ? ret : ST_OK;
}

int mes_sync(struct db *db, const struct mes_config *c, int *sent, int *left,
	     struct st_error *e)
{
	struct db_mes_result *r = NULL;
	int n = 0, i, ret;

	*sent = *left = 0;
	pthread_mutex_lock(&sender);
	ret = db_mes_pending(db, &r, &n, e);
	for (i = 0; ret == ST_OK && i < n; i++) {
		struct st_error pe = { 0 };
		int sr = mes_post_result(c, r[i].run_id, r[i].document, &pe);

		ret = db_mes_tried(db, r[i].id, sr == ST_OK ? NULL : pe.msg, e);
		if (ret < 0)
			break;
		ret = ST_OK;
		if (sr < 0) {
			log_warn("result of run %s kept for the MES: %s", r[i].run_id, pe.msg);
			*e = pe;
			ret = sr;
			break;
		}
		(*sent)++;
	}
	*left = n - *sent;
	db_mes_results_free(r, n);
	pthread_mutex_unlock(&sender);
	return ret;
}
