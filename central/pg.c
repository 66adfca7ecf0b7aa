/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The connection to the central PostgreSQL, through libpq.  Timeouts on
 * every blocking step: connect_timeout for the connection, TCP keepalives
 * and tcp_user_timeout for a peer that vanishes, statement_timeout for a
 * server that holds a statement (a lock, a full disk).  TLS is libpq's:
 * sslmode and sslrootcert pass through in the URL (verify-full checks the
 * server's certificate and name).  The password comes from a passfile,
 * never from the URL, and no message carries the URL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "central"
#include "common/log.h"
#include "central/central-internal.h"

const char *central_url_refused(const char *url)
{
	PQconninfoOption *opts;
	const char *why = NULL;
	char *err = NULL;

	if (!url || !url[0])
		return "the central store's url is empty: give postgresql://HOST/DATABASE";
	opts = PQconninfoParse(url, &err);
	if (!opts) {
		PQfreemem(err);
		return "the central store's url is not a PostgreSQL connection string "
		       "(postgresql://HOST:PORT/DATABASE?sslmode=verify-full)";
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && o->val[0])
			why = "the central store's url carries a password: it would show in "
			      "configs and process lists; put it in a passfile "
			      "(central: {passfile: ...}, --passfile or PGPASSFILE)";
	PQconninfoFree(opts);
	return why;
}

/* One line of libpq's message: its lines joined by one space (libpq
 * indents its second lines), without the server's "LINE 1: ... ^" that
 * points into our own SQL, and without the trailing newline. */
static void one_line(char *dst, size_t n, const char *msg)
{
	const char *cut = msg ? strstr(msg, "\nLINE ") : NULL;
	size_t j = 0;

	for (const char *p = msg ? msg : ""; *p && p != cut && j + 1 < n; p++) {
		bool sp = *p == '\n' || *p == '\t' || *p == ' ';

		if (sp && (j == 0 || dst[j - 1] == ' '))
			continue;
		dst[j++] = sp ? ' ' : *p;
	}
	while (j > 0 && dst[j - 1] == ' ')
		j--;
	dst[j] = '\0';
}

int cpi_fail(struct central *c, struct st_error *e, const char *what)
{
	char msg[ST_ERRMSG_MAX / 2];
	bool gone = PQstatus(c->pg) != CONNECTION_OK;

	one_line(msg, sizeof(msg), PQerrorMessage(c->pg));
	return st_fail(e, gone ? ST_ERR_CLOSED : ST_ERR_DB, "central store %s: cannot %s: %s",
		       c->where, what, msg);
}

/* What the operator does about a statement the server refused for want of
 * a right or of the schema (libpq says only "permission denied for table
 * runs"): which role the login needs, or the migration to run. */
int cpi_fail_res(struct central *c, const PGresult *r, struct st_error *e, const char *what)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE), *hint = NULL;
	int ret = cpi_fail(c, e, what);
	size_t len = strlen(e->msg);

	if (state && !strcmp(state, "42501"))
		hint = "this login lacks the right: a station's login must be in role "
		       "station_writer, a reader's (report, trace, export) in station_reader";
	else if (state && (!strcmp(state, "42P01") || !strcmp(state, "42883")))
		hint = "the database has no station schema, or an older one: run 'station "
		       "central migrate' as the database's owner";
	if (hint)
		snprintf(e->msg + len, sizeof(e->msg) - len, "; %s", hint);
	return ret;
}

int cpi_ok(struct central *c, PGresult *r, const char *what, struct st_error *e)
{
	ExecStatusType s = PQresultStatus(r);
	int ret;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return ST_OK;
	ret = cpi_fail_res(c, r, e, what);
	PQclear(r);
	return ret;
}

int cpi_exec(struct central *c, const char *sql, const char *what, struct st_error *e)
{
	PGresult *r = PQexec(c->pg, sql);
	int ret = cpi_ok(c, r, what, e);

	if (ret == ST_OK)
		PQclear(r);
	return ret;
}

void cpi_rollback(struct central *c)
{
	if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		PQclear(PQexec(c->pg, "ROLLBACK"));
}

/* A refused TLS handshake: what the operator checks (libpq's message says
 * what failed, not where to look). */
static void tls_hint(const struct central *c, struct st_error *e)
{
	const char *m = PQerrorMessage(c->pg), *hint = NULL;
	size_t len = strlen(e->msg);

	if (strstr(m, "root certificate file") && strstr(m, "does not exist"))
		hint = "sslmode=verify-full needs the CA that signed the server's certificate: "
		       "give its file as sslrootcert= (in station.yaml's url, a relative path is "
		       "from station.yaml's directory)";
	else if (strstr(m, "certificate verify failed") || strstr(m, "root certificate file"))
		hint = "the server's certificate is not signed by the CA in sslrootcert: give "
		       "sslrootcert= the CA that signed it";
	else if (strstr(m, "does not match host name"))
		hint = "the URL's host is not a name in the server's certificate: connect by a "
		       "name it carries (hostaddr= may give the address)";
	if (hint)
		snprintf(e->msg + len, sizeof(e->msg) - len, "; %s", hint);
}

/* A refused password: which passfile libpq read, and why it gave none
 * (libpq says only "no password supplied"). */
static void pass_hint(const struct central *c, const char *passfile, struct st_error *e)
{
	const char *m = PQerrorMessage(c->pg), *f = passfile ? passfile : getenv("PGPASSFILE");
	size_t len = strlen(e->msg);
	struct stat sb;

	if (!strstr(m, "no password supplied") && !strstr(m, "password authentication failed"))
		return;
	if (!f || !f[0])
		snprintf(e->msg + len, sizeof(e->msg) - len, "; give the password in a passfile "
			 "(central: {passfile: ...}, --passfile or PGPASSFILE)");
	else if (stat(f, &sb) != 0 || access(f, R_OK) != 0)
		snprintf(e->msg + len, sizeof(e->msg) - len, "; the passfile %s cannot be read "
			 "(%s): create it, one line HOST:PORT:DB:USER:PASSWORD, mode 600",
			 f, strerror(errno));
	else if (sb.st_mode & (S_IRWXG | S_IRWXO))
		snprintf(e->msg + len, sizeof(e->msg) - len, "; libpq ignores the passfile %s: "
			 "others may read it (chmod 600 %s)", f, f);
	else
		snprintf(e->msg + len, sizeof(e->msg) - len, "; check the passfile %s: a line "
			 "HOST:PORT:DB:USER:PASSWORD must match this host, port, database and "
			 "user, with the password the server knows", f);
}

/* The server's notices (NOTICE: relation already exists, skipping) are not
 * the operator's business: debug log only. */
static void quiet_notice(void *arg, const char *msg)
{
	char line[256];

	(void)arg;
	one_line(line, sizeof(line), msg);
	log_dbg("central store: %s", line);
}

const char *central_where(const struct central *c)
{
	return c->where;
}

/* The URL's relative certificate files as paths from station.yaml's
 * directory, keyword and value appended to keys/vals after the URL (later
 * keywords override it); the values are allocated in own[4].  Returns the
 * new count. */
static int cert_files(const struct central_opts *o, const char **keys, const char **vals, int k,
		      char **own)
{
	static const char *const files[] = { "sslrootcert", "sslcert", "sslkey", "sslcrl" };
	PQconninfoOption *opts = o->config ? PQconninfoParse(o->url, NULL) : NULL;
	const char *slash = o->config ? strrchr(o->config, '/') : NULL;
	int n = 0;

	for (PQconninfoOption *p = opts; p && p->keyword; p++)
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			/* sslrootcert=system: libpq 16's "the system's CAs", no file */
			if (strcmp(p->keyword, files[i]) || !p->val || !p->val[0] ||
			    p->val[0] == '/' || !slash || !strcmp(p->val, "system"))
				continue;
			if (asprintf(&own[n], "%.*s/%s", (int)(slash - o->config), o->config,
				     p->val) < 0) {
				own[n] = NULL;
				continue;
			}
			keys[k] = files[i], vals[k++] = own[n++];
		}
	PQconninfoFree(opts);
	return k;
}

int central_open(struct central **out, const struct central_opts *o, struct st_error *e)
{
	const char *why = central_url_refused(o->url);
	int t = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	char connect_s[16], user_ms[16], options[64];
	const char *keys[13], *vals[13];
	char *own[4] = { NULL };
	struct central *c;
	int k = 0;

	*out = NULL;
	if (why)
		return st_fail(e, ST_ERR_ARG, "%s", why);
	c = calloc(1, sizeof(*c));
	if (!c)
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	snprintf(connect_s, sizeof(connect_s), "%d", (t + 999) / 1000 < 2 ? 2 : (t + 999) / 1000);
	snprintf(user_ms, sizeof(user_ms), "%d", t);
	/* jit off: our statements are index look-ups and sums of a few thousand
	 * cells, where compiling costs more than it saves (300-400 ms of a
	 * 170 ms statement on the 1M-run store, docs/central.md) */
	snprintf(options, sizeof(options), "-c statement_timeout=%d -c jit=off", t);
	/* the URL first: what follows completes it (expand_dbname) */
	keys[k] = "dbname", vals[k++] = o->url;
	keys[k] = "connect_timeout", vals[k++] = connect_s;
	keys[k] = "tcp_user_timeout", vals[k++] = user_ms;
	keys[k] = "keepalives_idle", vals[k++] = "10";
	keys[k] = "options", vals[k++] = options;
	keys[k] = "application_name", vals[k++] = "station";
	/* the log's text is UTF-8: say so, whatever PGCLIENTENCODING or the
	 * database's encoding would make libpq claim (LATIN1 stored a
	 * serial's "Ω" as "Î©") */
	keys[k] = "client_encoding", vals[k++] = "UTF8";
	if (o->passfile)
		keys[k] = "passfile", vals[k++] = o->passfile;
	k = cert_files(o, keys, vals, k, own);
	keys[k] = NULL, vals[k] = NULL;
	c->pg = PQconnectdbParams(keys, vals, 1);
	for (int i = 0; i < 4; i++)
		free(own[i]);
	if (!c->pg) {
		free(c);
		return st_fail(e, ST_ERR_NOMEM, "out of memory (libpq)");
	}
	{
		const char *h = PQhost(c->pg), *d = PQdb(c->pg), *p = PQport(c->pg);

		snprintf(c->where, sizeof(c->where), "%s%s%s/%s", h && h[0] ? h : "localhost",
			 p && p[0] ? ":" : "", p ? p : "", d ? d : "?");
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		int ret = cpi_fail(c, e, "connect");

		tls_hint(c, e);
		pass_hint(c, o->passfile, e);
		central_close(c);
		return ret;
	}
	PQsetNoticeProcessor(c->pg, quiet_notice, NULL);
	*out = c;
	return ST_OK;
}

void central_close(struct central *c)
{
	if (!c)
		return;
	PQfinish(c->pg);
	free(c);
}
