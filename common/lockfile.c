/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Named flock(2) locks between station processes (lockfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/lockfile.h"

static const char *lock_dir(void)
{
	const char *d = getenv("STATION_LOCK_DIR");

	if (d && *d)
		return d;
	return access("/run/lock", W_OK) == 0 ? "/run/lock" : "/tmp";
}

/* FNV-1a, 64 bits: a file name for the key. */
static unsigned long long name_hash(const char *s)
{
	unsigned long long h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

/* Still the file at path (not one removed by its last holder)? */
static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int holder_pid(int fd)
{
	char buf[16] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		return 0;
	return atoi(buf);
}

bool lockfile_pid_alive(int pid)
{
	char path[64], buf[256], *p;
	bool zombie = false;
	FILE *f;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
			zombie = p[2] == 'Z';
		fclose(f);
	}
	return !zombie;
}

int lockfile_take(const char *key, int *fd_out, int *holder, struct st_error *e)
{
	char path[PATH_MAX], pid[16];
	int fd, len;

	*fd_out = -1;
	if (holder)
		*holder = 0;
	snprintf(path, sizeof(path), "%s/station-%016llx.lock", lock_dir(), name_hash(key));
	for (;;) {
		/* the umask decides, never world-writable */
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0664);
		if (fd < 0)	/* another user's file: flock needs no write */
			fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return st_fail(e, ST_ERR_IO, "cannot open the lock %s: %s", path,
				       strerror(errno));
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int err = errno;

			if (holder)
				*holder = holder_pid(fd);
			close(fd);
			if (err == EWOULDBLOCK)
				return ST_ERR_BUSY;
			return st_fail(e, ST_ERR_IO, "lock %s: %s", path, strerror(err));
		}
		if (same_file(fd, path))
			break;
		close(fd);	/* its holder removed it as we took it: again */
	}
	len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) != len) {
		/* read-only (another user's file): the pid is only for messages */
	}
	*fd_out = fd;
	return ST_OK;
}

void lockfile_release(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (fd < 0)
		return;
	/* Remove the file while holding it; a taker that opened it meanwhile
	 * sees it gone (same_file) and starts over. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n > 0) {
		path[n] = '\0';
		if (same_file(fd, path))
			unlink(path);
	}
	close(fd);
}
