/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How the checks read the log: the same PRAGMAs, with the file mapped into
 * memory for the check (PRAGMA mmap_size) instead of a pread() and a copy
 * per 4 KiB page.  On a 100,000-run log that took
 * quick_check from 5.5 s to 0.8 s wall from a cold page cache (the kernel
 * reads a mapped file ahead in large blocks; SQLite's own reads follow the
 * b-trees, page by page, all over the file) and 5-10% off its CPU time
 * with the file cached (docs/database.md).  SQLite maps at most
 * SQLITE_MAX_MMAP_SIZE (2 GiB in distributions' builds): what lies beyond is
 * read into the page cache ahead of the check by a thread reading it in
 * order.  Neither changes what is checked.  A read error in a mapping is a
 * SIGBUS, not an error code: station db check turns it into its message.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db-internal.h"

#define WARM_CHUNK (1 << 20)

/* Read [from, to) in order into the page cache; a read error stops it (the
 * check then meets that page and reports it). */
static void *warm_run(void *arg)
{
	struct dbi_check_read *w = arg;
	char *buf = malloc(WARM_CHUNK);

	for (off_t off = w->from; buf && off < w->to; off += WARM_CHUNK)
		if (pread(w->fd, buf, WARM_CHUNK, off) <= 0)
			break;
	free(buf);
	return NULL;
}

void dbi_check_read_start(sqlite3 *h, const char *path, struct dbi_check_read *w)
{
	sqlite3_stmt *st;
	int64_t mapped = 0;
	struct stat sb;

	w->fd = -1;
	/* asked for the whole of any log: SQLite lowers it to its limit */
	if (sqlite3_prepare_v2(h, "PRAGMA mmap_size = 1099511627776", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		mapped = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	w->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (w->fd < 0)
		return;
	if (fstat(w->fd, &sb) == 0 && sb.st_size > mapped) {
		w->from = mapped;
		w->to = sb.st_size;
		if (pthread_create(&w->thread, NULL, warm_run, w) == 0)
			return;
	}
	close(w->fd);
	w->fd = -1;
}

void dbi_check_read_end(sqlite3 *h, struct dbi_check_read *w)
{
	if (w->fd >= 0) {
		pthread_join(w->thread, NULL);
		close(w->fd);
		w->fd = -1;
	}
	/* the connection's other readers go back to pread(): an I/O error
	 * there is an error code, in a mapping a SIGBUS */
	sqlite3_exec(h, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
}
