/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A YAML document as a plain tree of nodes that remember where they came
 * from (file:line:col), built with libyaml's event parser.  The sequence,
 * limits and station-config loaders validate this tree, so every error can
 * name the exact place an author has to fix.  Aliases are refused (a flow
 * file is read by people; anchors hide what a step really does).
 */
#ifndef ST_STATION_YTREE_H
#define ST_STATION_YTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

enum ynode_type { YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode {
	enum ynode_type type;
	const char *file;	/* owned by the document */
	int line, col;		/* 1-based */
	char *str;		/* YN_SCALAR: the text */
	bool plain;		/* YN_SCALAR: unquoted (so "null", "~" mean null) */
	int n;			/* YN_MAP: pairs; YN_SEQ: items */
	struct ynode **keys;	/* YN_MAP */
	struct ynode **items;	/* YN_MAP: values; YN_SEQ: items */
};

struct ydoc {
	char *file;
	struct ynode *root;	/* NULL for an empty document */
	unsigned char *bytes;	/* the file as read (for hashing) */
	size_t len;
};

#define YTREE_MAX_FILE (4u << 20)

/* Parse a file. On a syntax error, e->msg is "file:line:col: message". */
int ydoc_load(struct ydoc *d, const char *path, struct st_error *e);
int ydoc_parse(struct ydoc *d, const char *name, const unsigned char *buf, size_t len,
	       struct st_error *e);
void ydoc_free(struct ydoc *d);

/*
 * A copy of the tree n with every "${name}" in its keys and values replaced
 * by value (a foreach item, an include parameter): the copy keeps each
 * node's file:line:col, so errors in it point at what the author wrote.
 * NULL when out of memory.  Free with ynode_free.
 */
#define YTREE_SUBST_NAME_MAX 63
struct ynode *ynode_subst(const struct ynode *n, const char *name, const char *value);
void ynode_free(struct ynode *n);

/* Map lookup by key (NULL when absent or n is not a map). */
struct ynode *ynode_get(const struct ynode *n, const char *key);
const char *ynode_type_name(const struct ynode *n);

#endif
