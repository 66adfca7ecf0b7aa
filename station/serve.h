/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station serve: the station's engine behind an HTTP API and an operator
 * panel (docs/api.md).  Three pieces besides the command itself:
 *
 *   hub    (serve_hub.c)   the --json events, the same lines station run
 *                          --json writes, kept in a bounded ring and
 *                          handed to every event stream (SSE)
 *   slots  (serve_slot.c)  each fixture's state as the panel shows it, and
 *                          the start and stop requests its thread takes
 *   api    (serve_api.c)   the routes of /api/v1 and the panel's files
 */
#ifndef ST_STATION_SERVE_H
#define ST_STATION_SERVE_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "station/display.h"
#include "station/fleet.h"
#include "web/web.h"

/* ---- the hub ------------------------------------------------------------ */

#define HUB_RING 512		/* events kept for a stream that falls behind */
#define HUB_LINE_MAX (64 * 1024)	/* one event; a longer one is cut, said so */

struct hub;
int hub_new(struct hub **out);
void hub_free(struct hub *h);
/* A stdio stream whose every line is one event (display.c's --json
 * writer writes into it). */
FILE *hub_file(struct hub *h);
/* No more events: every stream ends after what it has not yet sent. */
void hub_close(struct hub *h);
/* An event stream for one client: from the next event on, or from after
 * last_id (Last-Event-ID) when the ring still holds it. */
struct hub_sub;
struct hub_sub *hub_subscribe(struct hub *h, const char *last_id);
/* web_pull: the next bytes of the stream (an SSE "id:"/"data:" event, or
 * a keep-alive comment after a quiet while); 0 when the hub has closed. */
size_t hub_pull(void *sub, char *buf, size_t cap);
void hub_unsubscribe(void *sub);
/* How many streams are open, events published. */
void hub_counts(struct hub *h, int *subs, uint64_t *events);

/* ---- the slots ------------------------------------------------------------ */

#define SLOT_LAST 5		/* the last units shown on a tile */
#define SLOT_TEXT 256

/* A start request: what a unit's run is given. */
struct slot_start {
	char serial[SLOT_TEXT], operator_name[SLOT_TEXT], work_order[SLOT_TEXT];
	char part_number[SLOT_TEXT], revision[SLOT_TEXT];
	char *vars[FLEET_MAX_VARS];	/* "NAME=VALUE", owned */
	int n_vars;
	char who[SLOT_TEXT];		/* who asked, for the log */
};

struct slot_unit {
	char serial[SLOT_TEXT], run_id[DB_ID_LEN], verdict[16];
};

/* One fixture as the panel shows it. */
struct slot_view {
	char name[FX_NAME_MAX];
	const char *state;	/* idle starting running pass fail error aborted fault */
	char serial[SLOT_TEXT], run_id[DB_ID_LEN], step[SLOT_TEXT];
	char failed_step[SLOT_TEXT], reason[ST_ERRMSG_MAX];
	char operator_name[SLOT_TEXT], work_order[SLOT_TEXT];
	int step_index;
	uint64_t done, total;
	double elapsed_s;	/* of the run in flight, or of the last one */
	bool lamp_pass, lamp_fail;
	struct slot_unit last[SLOT_LAST];
	int n_last;
};

struct slots;
/* The slots of f's fixtures; their events go on to next (display's). */
int slots_new(struct slots **out, const struct fleet *f, const struct run_events *next);
void slots_free(struct slots *s);
/* The events the engine is to call (each updates the slot, then next). */
const struct run_events *slots_events(struct slots *s);
/* The driver of every fixture's thread: a unit each time a start comes. */
const struct fleet_driver *slots_driver(struct slots *s);
/* A fixture that would not open. */
void slots_fault(struct fx_thread *t, const char *why);
/* Fixture i's own stop, the one its runs' engine watches. */
atomic_bool *slots_stop_flag(struct slots *s, int i);
/* Wake every thread: the station stops. */
void slots_stop_all(struct slots *s);

int slots_count(const struct slots *s);
/* -1: no such fixture. */
int slots_find(const struct slots *s, const char *name);
void slots_view(struct slots *s, int i, struct slot_view *v);
/* Queue a start (taken over: st->vars freed in any case).  ST_ERR_BUSY: a
 * unit is queued or running; ST_ERR_ABORTED: the fixture cannot run (it
 * did not open, or the station stops); ST_ERR_DB: the unit ended within
 * wait_ms without a run (the log could not take it; e says why).  On
 * success run_id is the run's, when it has begun within wait_ms (else ""). */
int slots_start(struct slots *s, int i, struct slot_start *st, int wait_ms,
		char run_id[DB_ID_LEN], struct st_error *e);
/* Stop the unit on fixture i (ST_ERR_NOTFOUND: nothing running). */
int slots_stop(struct slots *s, int i, struct st_error *e);

/* ---- the API ----------------------------------------------------------------- */

struct serve_ctx {
	struct fleet *f;
	struct slots *slots;
	struct hub *hub;
	struct db *db;
	const char *serial_pattern;	/* NULL: any */
	bool serial_prompted;		/* the flow scans a serial: a start needs one */
};

/* web_handler for the station's routes (ctx: a struct serve_ctx). */
void serve_handle(void *ctx, struct web_req *r);

#endif
