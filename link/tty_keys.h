/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's keyboard (or a barcode scanner that types) on the
 * station's terminal, while the station runs.  The station reads every key
 * itself and echoes what is typed, escaped; the terminal echoes nothing and
 * edits nothing, so a scan's control characters and escape sequences stay
 * data: never a line erased by a DEL or ^U in the scan, never a colour or a
 * cursor move done by the terminal.
 *
 *   the live view  no echo, no line editing, no ^S/^Q flow control, no
 *                  CR-to-NL; Ctrl-C still stops (the kernel's SIGINT);
 *                  Ctrl-Z and Ctrl-\ do nothing (a station suspended or
 *                  dumped mid-flash would leave boards powered)
 *   watched,       the same, and Ctrl-C too is a key (a scan may hold
 *   a question     ETX): the reader decides what it means
 *
 * The terminal's own settings come back at tty_keys_close(), and, should
 * the station be killed outright (SIGKILL runs nothing), from the
 * fixtures' guardian (tty_keys_restore_if_left).
 */
#ifndef ST_LINK_TTY_KEYS_H
#define ST_LINK_TTY_KEYS_H

#include <stdbool.h>

struct tty_keys;

/*
 * Take fd's terminal into the live view's mode.  ST_OK with *out NULL when
 * fd is not a terminal, or not this process's foreground (a station in the
 * background asks nothing: a read or a mode change there would stop it);
 * ST_ERR_BUSY when another station has it already (said in the log).  The
 * terminal's lock is held until tty_keys_close(), and by a guardian forked
 * meanwhile until tty_keys_restore_if_left(); a station that finds it held
 * by a guardian (the station that took it is gone) waits up to wait_ms for
 * it to finish.
 */
int tty_keys_open(struct tty_keys **out, int fd, int wait_ms);
/* A question open (true) or closed (false). */
int tty_keys_question(struct tty_keys *k, bool open);
/* Someone reads every key while no question is open (true) or not (false). */
int tty_keys_watched(struct tty_keys *k, bool watched);
/* The terminal's settings as they were before tty_keys_open(), what was
 * typed and not read discarded (it was meant for the station, not for the
 * shell); k freed. */
void tty_keys_close(struct tty_keys *k);
/*
 * In another process (the guardian) after the station died: the terminal's
 * settings as they were, unless something else has set its own meanwhile
 * (the shell, which may have restored them already).  True when restored.
 * The terminal's lock is released afterwards, either way.
 */
bool tty_keys_restore_if_left(struct tty_keys *k);

#endif
