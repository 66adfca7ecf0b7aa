/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where station's files are found: a sequence named on the command line
 * (`-s NAME`), and the station.yaml a command reads when none is given.
 */
#ifndef ST_STATION_SEARCH_H
#define ST_STATION_SEARCH_H

#include <stddef.h>

#include "common/err.h"

/*
 * A sequence given as NAME (no '/'): NAME, then NAME.yaml, in the current
 * directory, then in the directory of config_file (may be NULL), then in
 * the installed sequences (DATADIR/sequences: share/station next to the
 * program's bin/, else the PREFIX it was built for).  A NAME with a '/' is
 * a path, used as it is (ST_ERR_NOTFOUND, "cannot read PATH: ...", when it
 * is not there).  The file in out[cap]; ST_ERR_NOTFOUND with a
 * message naming the places looked in.
 */
int search_sequence(const char *name, const char *config_file, char *out, size_t cap,
		    struct st_error *e);
/*
 * station.yaml's sequence: NAME (no '/'): as search_sequence(), with the
 * directory of config_file (station.yaml) in place of the current one.
 */
int search_config_sequence(const char *name, const char *config_file, char *out, size_t cap,
			   struct st_error *e);
/* The installed data (share/station), for search_sequence() and docs. */
const char *search_datadir(void);
/* "station.yaml" when the current directory has one (every command reads
 * it when not given -c), else NULL. */
const char *search_default_config(void);

#endif
