/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The capability cells' keys (cap_keys: sequence name and version, step,
 * measurement, unit, low, high) by id, for a pass over values
 * (db_capcell.c): the keys met kept in an open-addressing table of their
 * columns as one string (each typed, text with its length), so that a
 * million runs' values ask the log for a key's id once per key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-internal.h"

static int put(struct dbi_capkeys *w, const void *p, size_t n)
{
	if (w->blen + n + 1 > w->bcap) {
		size_t cap = (w->blen + n + 1) * 2;
		char *nb = realloc(w->buf, cap);

		if (!nb)
			return -1;
		w->buf = nb;
		w->bcap = cap;
	}
	memcpy(w->buf + w->blen, p, n);
	w->blen += n;
	w->buf[w->blen] = 0;
	return 0;
}

/* Columns 0..6 of st (the key) as one string: each typed, text with its length. */
static int key_str(struct dbi_capkeys *w, sqlite3_stmt *st)
{
	char tag[48];
	int ret = 0;

	w->blen = 0;
	for (int i = 0; i < 7 && !ret; i++) {
		int t = sqlite3_column_type(st, i);

		if (t == SQLITE_NULL) {
			ret = put(w, "N;", 2);
		} else if (t == SQLITE_TEXT || t == SQLITE_BLOB) {
			int n = sqlite3_column_bytes(st, i);
			const void *p = sqlite3_column_blob(st, i);

			snprintf(tag, sizeof(tag), "T%d:", n);
			ret = put(w, tag, strlen(tag)) || (n && put(w, p, (size_t)n));
		} else {
			snprintf(tag, sizeof(tag), "R%a;", sqlite3_column_double(st, i));
			ret = put(w, tag, strlen(tag));
		}
	}
	return ret ? -1 : 0;
}

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int key_remember(struct dbi_capkeys *w, int64_t id)
{
	if (2 * (w->n + 1) > w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct dbi_capkent *nk = calloc(cap, sizeof(*nk));

		if (!nk)
			return -1;
		for (size_t i = 0; i < w->cap; i++) {
			size_t j;

			if (!w->keys[i].k)
				continue;
			j = hash(w->keys[i].k) & (cap - 1);
			while (nk[j].k)
				j = (j + 1) & (cap - 1);
			nk[j] = w->keys[i];
		}
		free(w->keys);
		w->keys = nk;
		w->cap = cap;
	}
	for (size_t j = hash(w->buf) & (w->cap - 1);; j = (j + 1) & (w->cap - 1)) {
		if (!w->keys[j].k) {
			if (!(w->keys[j].k = strdup(w->buf)))
				return -1;
			w->keys[j].id = id;
			w->n++;
			return 0;
		}
	}
}

int dbi_capkey_id(struct db *db, struct dbi_capkeys *w, sqlite3_stmt *st, int64_t *id,
		  struct st_error *e)
{
	sqlite3_stmt *q;
	int rc;

	if (key_str(w, st))
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	for (size_t j = w->cap ? hash(w->buf) & (w->cap - 1) : 0; w->cap && w->keys[j].k;
	     j = (j + 1) & (w->cap - 1))
		if (!strcmp(w->keys[j].k, w->buf)) {
			*id = w->keys[j].id;
			return 0;
		}
	for (int pass = 0; pass < 2; pass++) {
		if (!(q = dbi_stmt(db, pass ? DBS_CAP_KEY_NEW : DBS_CAP_KEY_FIND, e)))
			return -1;
		for (int i = 0; i < 7; i++)
			sqlite3_bind_value(q, i + 1, sqlite3_column_value(st, i));
		rc = sqlite3_step(q);
		*id = pass ? sqlite3_last_insert_rowid(db->h) : sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		if (rc == SQLITE_ROW || (pass && rc == SQLITE_DONE))
			return key_remember(w, *id) ? st_fail(e, ST_ERR_NOMEM, "out of memory") : 0;
		if (rc != SQLITE_DONE)
			return dbi_fail(db, e, rc, "find a capability key");
	}
	return -1;
}

void dbi_capkeys_free(struct dbi_capkeys *w)
{
	for (size_t i = 0; i < w->cap; i++)
		free(w->keys[i].k);
	free(w->keys);
	free(w->buf);
	memset(w, 0, sizeof(*w));
}
