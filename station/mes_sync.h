/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MES hooks (mes: in station.yaml), for station run and station serve
 * alike: the pre-check before a unit moves a line, and the run results,
 * kept in the log when a run ends, then sent; what the MES did not take
 * stays for the next try (the next run's end, or station mes sync).
 */
#ifndef ST_STATION_MES_SYNC_H
#define ST_STATION_MES_SYNC_H

#include "db/db.h"
#include "mes/mes.h"

/* mes: precheck: may unit u be tested here?  Asked before anything of its
 * fixture moves.  ST_OK: the MES allows it (or no pre-check is set).
 * ST_ERR_FAIL: the MES refuses it; ST_ERR_ARG: no serial to ask about;
 * another error: the MES could not be asked.  In every case but ST_OK, why
 * (cap bytes) says so, text from the MES escaped.  Every answer, yes or
 * no, is in the log's events (what = mes) with asker, who asked; a no, or
 * no answer, on stderr too. */
int mes_gate(struct db *db, const struct mes_config *c, const struct mes_unit *u,
	     const char *asker, char *why, size_t cap);

/* Keep run_id's result document (report_run's JSON) for the MES. */
int mes_keep_result(struct db *db, const char *run_id, struct st_error *e);
/* Send every result not yet sent, oldest first, each marked sent once the
 * MES took it; stops at the first the MES does not take (it is down).
 * One sender at a time in this process. */
int mes_sync(struct db *db, const struct mes_config *c, int *sent, int *left,
	     struct st_error *e);

#endif
