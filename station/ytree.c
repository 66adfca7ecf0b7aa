/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "station/ytree.h"

/* Deep nesting and huge node counts only come from broken or hostile files. */
#define YTREE_MAX_DEPTH 64
#define YTREE_MAX_NODES 200000

struct builder {
	yaml_parser_t parser;
	struct ydoc *doc;
	int nodes;
	struct st_error *e;
	const unsigned char *buf;	/* the text, for hints on errors */
	size_t len;
};

void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (int i = 0; i < n->n; i++) {
		if (n->keys)
			ynode_free(n->keys[i]);
		if (n->items)
			ynode_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->str);
	free(n);
}

static struct ynode *ynode_new(struct builder *b, enum ynode_type t, const yaml_mark_t *m)
{
	struct ynode *n;

	if (++b->nodes > YTREE_MAX_NODES) {
		st_fail(b->e, ST_ERR_LIMIT, "%s:%zu:%zu: more than %d YAML nodes: is this a sequence file?",
			b->doc->file, m->line + 1, m->column + 1, YTREE_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		st_fail(b->e, ST_ERR_NOMEM, "out of memory reading %s", b->doc->file);
		return NULL;
	}
	n->type = t;
	n->file = b->doc->file;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

static int append(struct builder *b, struct ynode *parent, struct ynode *key, struct ynode *val)
{
	struct ynode **k, **v;

	v = realloc(parent->items, (size_t)(parent->n + 1) * sizeof(*v));
	if (!v)
		return st_fail(b->e, ST_ERR_NOMEM, "out of memory reading %s", b->doc->file);
	parent->items = v;
	if (parent->type == YN_MAP) {
		k = realloc(parent->keys, (size_t)(parent->n + 1) * sizeof(*k));
		if (!k)
			return st_fail(b->e, ST_ERR_NOMEM, "out of memory reading %s", b->doc->file);
		parent->keys = k;
		parent->keys[parent->n] = key;
	}
	parent->items[parent->n++] = val;
	return ST_OK;
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
	const yaml_parser_t *p = &b->parser;
	const yaml_mark_t *m = &p->problem_mark;
	char where[160] = "";
	const char *hint = "";

	if (yaml_parser_parse(&b->parser, ev))
		return ST_OK;
	/* name a tab: libyaml only says it "cannot start any token" */
	if (b->buf && m->index < b->len && b->buf[m->index] == '\t')
		hint = ": a tab character; YAML indents with spaces only";
	/* an unclosed bracket or quote: where it opened, not only where the
	 * parser gave up */
	if (p->context && (p->context_mark.line != m->line || p->context_mark.column != m->column))
		snprintf(where, sizeof(where), " (%s, which started at line %zu, column %zu)",
			 p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	else if (p->context && !hint[0])
		snprintf(where, sizeof(where), " %s", p->context);
	return st_fail(b->e, ST_ERR_PARSE, "%s:%zu:%zu: YAML syntax error: %s%s%s",
		       b->doc->file, m->line + 1, m->column + 1,
		       p->problem ? p->problem : "unknown", hint, where);
}

static int parse_node(struct builder *b, yaml_event_t *ev, int depth, struct ynode **out);

static int parse_children(struct builder *b, struct ynode *n, int depth, yaml_event_type_t end)
{
	yaml_event_t ev;
	struct ynode *key = NULL, *val = NULL;
	int ret;

	for (;;) {
		ret = next_event(b, &ev);
		if (ret < 0)
			goto fail;	/* a syntax error after a key: free the key */
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return ST_OK;
		}
		ret = parse_node(b, &ev, depth + 1, n->type == YN_MAP && !key ? &key : &val);
		yaml_event_delete(&ev);
		if (ret < 0)
			goto fail;
		if (n->type == YN_MAP && !val)
			continue; /* got the key, now the value */
		if (n->type == YN_MAP && key->type != YN_SCALAR) {
			ret = st_fail(b->e, ST_ERR_PARSE, "%s:%d:%d: a mapping key must be a plain name",
				      b->doc->file, key->line, key->col);
			goto fail;
		}
		/* One meaning per file: YAML tools keep the last of two equal
		 * keys, a first-wins reader the first; refuse both. */
		for (int i = 0; n->type == YN_MAP && i < n->n; i++)
			if (!strcmp(n->keys[i]->str, key->str)) {
				ret = st_fail(b->e, ST_ERR_PARSE,
					      "%s:%d:%d: duplicate key '%s' (first at line %d, column %d): "
					      "a key may appear once in a mapping; keep one",
					      b->doc->file, key->line, key->col, key->str,
					      n->keys[i]->line, n->keys[i]->col);
				goto fail;
			}
		ret = append(b, n, key, val);
		if (ret < 0)
			goto fail;
		key = val = NULL;
	}
fail:
	ynode_free(key);
	ynode_free(val);
	return ret;
}

static int parse_node(struct builder *b, yaml_event_t *ev, int depth, struct ynode **out)
{
	struct ynode *n;
	int ret;

	if (depth > YTREE_MAX_DEPTH)
		return st_fail(b->e, ST_ERR_LIMIT, "%s:%zu:%zu: nested more than %d levels deep",
			       b->doc->file, ev->start_mark.line + 1, ev->start_mark.column + 1,
			       YTREE_MAX_DEPTH);
	if ((ev->type == YAML_SCALAR_EVENT && ev->data.scalar.anchor) ||
	    (ev->type == YAML_MAPPING_START_EVENT && ev->data.mapping_start.anchor) ||
	    (ev->type == YAML_SEQUENCE_START_EVENT && ev->data.sequence_start.anchor))
		return st_fail(b->e, ST_ERR_PARSE,
			       "%s:%zu:%zu: YAML anchors (&name) are not supported: write the steps out, or use a group",
			       b->doc->file, ev->start_mark.line + 1, ev->start_mark.column + 1);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = ynode_new(b, YN_SCALAR, &ev->start_mark);
		if (!n)
			return b->e ? b->e->code : ST_ERR_NOMEM;
		n->str = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (!n->str) {
			ynode_free(n);
			return st_fail(b->e, ST_ERR_NOMEM, "out of memory reading %s", b->doc->file);
		}
		*out = n;
		return ST_OK;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		n = ynode_new(b, ev->type == YAML_MAPPING_START_EVENT ? YN_MAP : YN_SEQ,
			      &ev->start_mark);
		if (!n)
			return b->e ? b->e->code : ST_ERR_NOMEM;
		ret = parse_children(b, n, depth, ev->type == YAML_MAPPING_START_EVENT ?
				     YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT);
		if (ret < 0) {
			ynode_free(n);
			return ret;
		}
		*out = n;
		return ST_OK;
	case YAML_ALIAS_EVENT:
		return st_fail(b->e, ST_ERR_PARSE,
			       "%s:%zu:%zu: YAML aliases (*name) are not supported: write the steps out, or use a group",
			       b->doc->file, ev->start_mark.line + 1, ev->start_mark.column + 1);
	default:
		return st_fail(b->e, ST_ERR_PARSE, "%s:%zu:%zu: unexpected YAML event",
			       b->doc->file, ev->start_mark.line + 1, ev->start_mark.column + 1);
	}
}

int ydoc_parse(struct ydoc *d, const char *name, const unsigned char *buf, size_t len,
	       struct st_error *e)
{
	struct builder b = { .doc = d, .e = e, .buf = buf, .len = len };
	yaml_event_t ev;
	int ret, docs = 0;

	memset(d, 0, sizeof(*d));
	d->file = strdup(name);
	if (!d->file)
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	if (!yaml_parser_initialize(&b.parser))
		return st_fail(e, ST_ERR_NOMEM, "out of memory (libyaml)");
	yaml_parser_set_input_string(&b.parser, buf, len);
	for (;;) {
		ret = next_event(&b, &ev);
		if (ret < 0)
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			ret = st_fail(e, ST_ERR_PARSE, "%s:%zu:%zu: more than one YAML document ('---'): put one flow per file",
				      d->file, ev.start_mark.line + 1, ev.start_mark.column + 1);
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_MAPPING_START_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_ALIAS_EVENT) {
			ret = parse_node(&b, &ev, 0, &d->root);
			yaml_event_delete(&ev);
			if (ret < 0)
				break;
			continue;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&b.parser);
	if (ret < 0) {
		ydoc_free(d);
		return ret;
	}
	return ST_OK;
}

int ydoc_load(struct ydoc *d, const char *path, struct st_error *e)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int ret;

	memset(d, 0, sizeof(*d));
	f = fopen(path, "rb");
	if (!f)
		return st_fail(e, errno == ENOENT ? ST_ERR_NOTFOUND : ST_ERR_IO,
			       "cannot read %s: %s", path, strerror(errno));
	for (;;) {
		if (len == cap) {
			unsigned char *nb;

			if (cap >= YTREE_MAX_FILE) {
				fclose(f);
				free(buf);
				return st_fail(e, ST_ERR_LIMIT, "%s: larger than %u bytes: not a sequence file?",
					       path, YTREE_MAX_FILE);
			}
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				fclose(f);
				free(buf);
				return st_fail(e, ST_ERR_NOMEM, "out of memory reading %s", path);
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return st_fail(e, ST_ERR_IO, "cannot read %s", path);
	}
	fclose(f);
	ret = ydoc_parse(d, path, buf, len, e);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	d->bytes = buf;
	d->len = len;
	return ST_OK;
}

void ydoc_free(struct ydoc *d)
{
	ynode_free(d->root);
	free(d->file);
	free(d->bytes);
	memset(d, 0, sizeof(*d));
}

/* s with every "${name}" (not "$${name}") replaced by value; NULL on no memory. */
static char *subst_str(const char *s, const char *name, const char *value)
{
	char ref[YTREE_SUBST_NAME_MAX + 4];
	size_t rl, vl = strlen(value), n = 0, cap;
	const char *p;
	char *out;

	snprintf(ref, sizeof(ref), "${%s}", name);
	rl = strlen(ref);
	cap = strlen(s) + 1;
	for (p = strstr(s, ref); p; p = strstr(p + rl, ref))
		cap += vl;
	out = malloc(cap);
	if (!out)
		return NULL;
	for (p = s; *p; ) {
		if (!strncmp(p, ref, rl) && !(p > s && p[-1] == '$')) {
			memcpy(out + n, value, vl);
			n += vl;
			p += rl;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

struct ynode *ynode_subst(const struct ynode *n, const char *name, const char *value)
{
	struct ynode *c;

	if (!n || strlen(name) > YTREE_SUBST_NAME_MAX)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = *n;
	c->keys = c->items = NULL;
	c->str = NULL;
	c->n = 0;
	if (n->str && !(c->str = subst_str(n->str, name, value)))
		goto fail;
	if (n->n) {
		c->items = calloc((size_t)n->n, sizeof(*c->items));
		if (n->keys)
			c->keys = calloc((size_t)n->n, sizeof(*c->keys));
		if (!c->items || (n->keys && !c->keys))
			goto fail;
	}
	for (int i = 0; i < n->n; i++) {
		c->n = i + 1;
		if (n->keys && !(c->keys[i] = ynode_subst(n->keys[i], name, value)))
			goto fail;
		if (!(c->items[i] = ynode_subst(n->items[i], name, value)))
			goto fail;
	}
	return c;
fail:
	ynode_free(c);
	return NULL;
}

struct ynode *ynode_get(const struct ynode *n, const char *key)
{
	if (!n || n->type != YN_MAP)
		return NULL;
	for (int i = 0; i < n->n; i++)
		if (!strcmp(n->keys[i]->str, key))
			return n->items[i];
	return NULL;
}

const char *ynode_type_name(const struct ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case YN_SCALAR: return "a value";
	case YN_MAP: return "a mapping (key: value)";
	case YN_SEQ: return "a list";
	}
	return "?";
}
