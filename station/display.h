/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's view.  tty: one live line per fixture and a large coloured
 * PASS/FAIL; plain: one line per event (stdout is not a terminal); json:
 * one JSON object per line for other programs.
 */
#ifndef ST_STATION_DISPLAY_H
#define ST_STATION_DISPLAY_H

#include <stdio.h>

#include "station/engine.h"

enum display_mode { DISPLAY_PLAIN = 0, DISPLAY_TTY, DISPLAY_JSON };

struct display;

struct display *display_new(FILE *out, enum display_mode mode, int n_fixtures,
			    const char *const *names);
void display_free(struct display *d);
/* The events to hand to the engine. */
const struct run_events *display_events(struct display *d);

#endif
