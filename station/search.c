/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where station's files are found (search.h).  The installed data is
 * found from the program itself (/proc/self/exe: PREFIX/bin/station ->
 * PREFIX/share/station), so that a tree installed with DESTDIR, or moved,
 * still finds its sequences; a binary in the source tree it was built in
 * (bin/station) finds the tree's; ST_DATADIR, the PREFIX it was built for,
 * is the fallback.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "station/search.h"

#ifndef ST_DATADIR
#define ST_DATADIR "/usr/local/share/station"
#endif

static bool is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

const char *search_datadir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *bin = dirname(exe);

		/* PREFIX/bin/station -> PREFIX/share/station */
		snprintf(probe, sizeof(probe), "%s/../share/station", bin);
		if (realpath(probe, dir) && strlen(dir) < sizeof(dir))
			return dir;
		/* not installed: the source tree it was built in (TREE/bin/station,
		 * TREE/sequences beside TREE/station/main.c), so that bin/station
		 * -s NAME finds the tree's sequences as the installed one would */
		snprintf(probe, sizeof(probe), "%s/../station/main.c", bin);
		if (is_file(probe)) {
			snprintf(probe, sizeof(probe), "%s/..", bin);
			if (realpath(probe, dir) && strlen(dir) < sizeof(dir))
				return dir;
		}
		dir[0] = '\0';
	}
	snprintf(dir, sizeof(dir), "%s", ST_DATADIR);
	return dir;
}

const char *search_default_config(void)
{
	return is_file("station.yaml") ? "station.yaml" : NULL;
}

/* dir/name or dir/name.yaml, when it is a file. */
static bool try_dir(const char *dir, const char *name, char *out, size_t cap)
{
	static const char *const ext[] = { "", ".yaml" };

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		if ((size_t)snprintf(out, cap, "%s/%s%s", dir, name, ext[i]) >= cap)
			continue;
		if (is_file(out))
			return true;
	}
	return false;
}

/* NAME in the current directory (when cwd), the directory of config_file,
 * then the installed sequences. */
static int search_in(const char *name, bool cwd, const char *config_file, char *out, size_t cap,
		     struct st_error *e)
{
	char cfg_dir[PATH_MAX] = "", inst[PATH_MAX + 16];
	const char *dirs[3];
	int n = 0;

	if (cwd)
		dirs[n++] = ".";
	if (config_file) {
		char *dup = strdup(config_file);

		if (dup)
			snprintf(cfg_dir, sizeof(cfg_dir), "%s", dirname(dup));
		free(dup);
		if (cfg_dir[0] && (!cwd || strcmp(cfg_dir, ".")))
			dirs[n++] = cfg_dir;
	}
	snprintf(inst, sizeof(inst), "%s/sequences", search_datadir());
	dirs[n++] = inst;
	for (int i = 0; i < n; i++)
		if (try_dir(dirs[i], name, out, cap)) {
			if (!strncmp(out, "./", 2))	/* ./NAME: as the operator wrote it */
				memmove(out, out + 2, strlen(out + 2) + 1);
			return ST_OK;
		}
	return st_fail(e, ST_ERR_NOTFOUND, "no sequence '%s' (nor %s.yaml) in %s%s%s%s%s: give its path",
		       name, name, dirs[0], n > 1 ? ", " : "", n > 1 ? dirs[1] : "",
		       n > 2 ? ", " : "", n > 2 ? dirs[2] : "");
}

int search_sequence(const char *name, const char *config_file, char *out, size_t cap,
		    struct st_error *e)
{
	struct stat st;

	if (strchr(name, '/')) {
		/* a path: said here, once, when there is nothing to read */
		if (stat(name, &st) < 0)
			return st_fail(e, ST_ERR_NOTFOUND, "cannot read %s: %s", name,
				       strerror(errno));
		if (S_ISDIR(st.st_mode))
			return st_fail(e, ST_ERR_NOTFOUND, "cannot read %s: it is a directory, "
				       "not a sequence file", name);
		snprintf(out, cap, "%s", name);
		return ST_OK;
	}
	return search_in(name, true, config_file, out, cap, e);
}

int search_config_sequence(const char *name, const char *config_file, char *out, size_t cap,
			   struct st_error *e)
{
	return search_in(name, false, config_file, out, cap, e);
}
