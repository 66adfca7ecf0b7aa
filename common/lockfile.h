/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Named locks between station processes: flock(2) on a file named after a
 * key, in $STATION_LOCK_DIR, else /run/lock, else /tmp.  The file holds the
 * taker's pid (for the message a refused taker prints).  A lock belongs to
 * the open file: a forked child that keeps the descriptor holds it too, and
 * the kernel drops it when the last holder ends, so no stale lock outlives
 * a crash.  A clean release removes the file.
 */
#ifndef ST_COMMON_LOCKFILE_H
#define ST_COMMON_LOCKFILE_H

#include <stdbool.h>

#include "common/err.h"

/* Take the lock named key, without waiting: ST_OK and *fd; ST_ERR_BUSY with
 * the holder's pid in *holder (0 unknown); ST_ERR_IO with a message. */
int lockfile_take(const char *key, int *fd, int *holder, struct st_error *e);
/* Release it (removing the file). */
void lockfile_release(int fd);
/* Is pid a process still running (not gone, not a zombie)? */
bool lockfile_pid_alive(int pid);

#endif
