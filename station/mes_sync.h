/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run results for the MES (mes: in station.yaml): kept in the log when
 * a run ends, then sent; what the MES did not take stays for the next try
 * (the next run's end in station serve, or station mes sync).
 */
#ifndef ST_STATION_MES_SYNC_H
#define ST_STATION_MES_SYNC_H

#include "db/db.h"
#include "mes/mes.h"

/* Keep run_id's result document (report_run's JSON) for the MES. */
int mes_keep_result(struct db *db, const char *run_id, struct st_error *e);
/* Send every result not yet sent, oldest first, each marked sent once the
 * MES took it; stops at the first the MES does not take (it is down).
 * One sender at a time in this process. */
int mes_sync(struct db *db, const struct mes_config *c, int *sent, int *left,
	     struct st_error *e);

#endif
