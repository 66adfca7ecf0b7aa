// SPDX-License-Identifier: Apache-2.0
/*
 * mes-sim: a line's MES as the station's mes: hooks call it (docs/api.md,
 * "MES hooks").  There is no standard MES API to follow: ISA-95 / B2MML
 * describe the data an MES exchanges, not an HTTP call, and every MES is
 * fronted by its own adapter.  This simulator implements the station's own
 * contract, the one an adapter must offer:
 *
 *   POST /precheck  {"serial", "operation", ...}
 *        200 {"allowed": true} | {"allowed": false, "reason": "..."}
 *   POST /results   the run's result document, Idempotency-Key: RUN_ID
 *        201 taken | 409 taken before (the same key)
 *
 * Options: --port N (0: any), --port-file F (the port, once listening),
 * --refuse SERIAL=REASON (repeatable: the pre-check refuses SERIAL),
 * --log FILE (one line per request: "precheck SERIAL allowed|refused",
 * "result RUN_ID new|repeat VERDICT"; every request, repeats too, so a
 * test can count what the station sent).  Faults, for the station's
 * timeouts and retries (what a real MES or its adapter does when it is
 * overloaded or restarting; which of these a given MES shows is its own):
 * --unavailable N (the first N requests answered 503, logged "unavailable
 * PATH"), --slow N:MS (the first N requests handled at once, as above, but
 * answered only MS ms later: an answer the station may no longer wait for;
 * logged "slow PATH").  HTTPS with --cert F --key F (PEM); --token-file F:
 * every request must carry "Authorization: Bearer TOKEN" (RFC 6750 2.1),
 * else 401, logged "unauthorized PATH" (the token never is).  SIGTERM ends
 * it.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#define BODY_MAX (1024 * 1024)
#define MAX_REFUSE 32
#define MAX_SEEN 4096

static struct {
	const char *serial[MAX_REFUSE], *reason[MAX_REFUSE];
	int n;
} refuse;
static char *seen[MAX_SEEN];
static int n_seen;
static FILE *logfile;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;	/* a thread per connection */
static long n_unavailable, n_slow, slow_ms;
static char *token;	/* NULL: no token asked */

/* A whole small file (a PEM, a token), NUL-terminated; exits on error. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = malloc(65537);
	size_t n;

	if (!f || !buf) {
		perror(path);
		exit(2);
	}
	n = fread(buf, 1, 65536, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The request's bearer token is ours (constant time). */
static bool authorized(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	size_t n = token ? strlen(token) : 0;
	unsigned char diff = 0;

	if (!token)
		return true;
	if (!h || strncmp(h, "Bearer ", 7) || strlen(h + 7) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(h[7 + i] ^ token[i]);
	return diff == 0;
}
static volatile sig_atomic_t quit;

struct req {
	char *body;
	size_t len;
	int too_big;
};

static void on_term(int sig)
{
	(void)sig;
	quit = 1;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *json)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(json), (void *)json,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

static enum MHD_Result precheck(struct MHD_Connection *c, json_t *q)
{
	const char *serial = json_string_value(json_object_get(q, "serial"));
	json_t *a;
	char *out;
	enum MHD_Result ret;
	int i;

	if (!serial)
		return answer(c, 400, "{\"error\":\"no serial\"}");
	for (i = 0; i < refuse.n && strcmp(refuse.serial[i], serial); i++)
		;
	a = i < refuse.n ? json_pack("{s:b,s:s}", "allowed", 0, "reason", refuse.reason[i]) :
	    json_pack("{s:b}", "allowed", 1);
	fprintf(logfile, "precheck %s %s %s\n", serial,
		or_dash(json_string_value(json_object_get(q, "operation"))),
		i < refuse.n ? "refused" : "allowed");
	out = json_dumps(a, JSON_COMPACT);
	ret = answer(c, 200, out);
	free(out);
	json_decref(a);
	return ret;
}

static enum MHD_Result result(struct MHD_Connection *c, json_t *doc)
{
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
	const char *id = json_string_value(json_object_get(doc, "id"));
	bool repeat = false;

	if (!key || !id || strcmp(key, id))
		return answer(c, 400, "{\"error\":\"Idempotency-Key must be the run's id\"}");
	for (int i = 0; i < n_seen; i++)
		repeat |= !strcmp(seen[i], key);
	if (!repeat && n_seen < MAX_SEEN)
		seen[n_seen++] = strdup(key);
	fprintf(logfile, "result %s %s %s\n", key, repeat ? "repeat" : "new",
		or_dash(json_string_value(json_object_get(doc, "outcome"))));
	return answer(c, repeat ? 409 : 201, "{}");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **ctx)
{
	struct req *q = *ctx;
	enum MHD_Result ret;
	bool slow;
	json_t *j;

	if (!q) {
		*ctx = calloc(1, sizeof(struct req));
		return *ctx ? MHD_YES : MHD_NO;
	}
	if (*size) {
		char *b = q->len + *size > BODY_MAX ? NULL : realloc(q->body, q->len + *size + 1);

		if (!b) {
			q->too_big = 1;
		} else {
			q->body = b;
			memcpy(q->body + q->len, data, *size);
			q->len += *size;
			q->body[q->len] = 0;
		}
		*size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST"))
		return answer(c, 405, "{\"error\":\"POST only\"}");
	if (q->too_big)
		return answer(c, 413, "{\"error\":\"too large\"}");
	pthread_mutex_lock(&mu);
	if (!authorized(c)) {
		fprintf(logfile, "unauthorized %s\n", url);
		fflush(logfile);
		pthread_mutex_unlock(&mu);
		return answer(c, 401, "{\"error\":\"no or wrong bearer token\"}");
	}
	if (n_unavailable > 0) {
		n_unavailable--;
		fprintf(logfile, "unavailable %s\n", url);
		fflush(logfile);
		pthread_mutex_unlock(&mu);
		return answer(c, 503, "{\"error\":\"unavailable\"}");
	}
	slow = n_slow > 0;
	if (slow) {
		n_slow--;
		fprintf(logfile, "slow %s\n", url);
	}
	j = q->body ? json_loadb(q->body, q->len, 0, NULL) : NULL;
	if (!json_is_object(j))
		ret = answer(c, 400, "{\"error\":\"not a JSON object\"}");
	else if (!strcmp(url, "/precheck"))
		ret = precheck(c, j);
	else if (!strcmp(url, "/results"))
		ret = result(c, j);
	else
		ret = answer(c, 404, "{\"error\":\"no such route\"}");
	json_decref(j);
	fflush(logfile);
	pthread_mutex_unlock(&mu);
	if (slow) {
		struct timespec ts = { slow_ms / 1000, (slow_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);	/* handled; the answer comes late */
	}
	return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx,
		    enum MHD_RequestTerminationCode why)
{
	struct req *q = *ctx;

	if (q)
		free(q->body);
	free(q);
	*ctx = NULL;
}

/* The command line; its TLS files in *cert and *key.  Returns 0, or 2
 * (usage) to exit with. */
static int parse_args(int argc, char **argv, unsigned *port, const char **port_file,
		      char **cert, char **key)
{
	for (int i = 1; i < argc; i++) {
		char *eq;

		if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			*port = (unsigned)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--port-file") && i + 1 < argc) {
			*port_file = argv[++i];
		} else if (!strcmp(argv[i], "--log") && i + 1 < argc) {
			logfile = fopen(argv[++i], "a");
			if (!logfile) {
				perror(argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--refuse") && i + 1 < argc &&
			   (eq = strchr(argv[i + 1], '=')) && refuse.n < MAX_REFUSE) {
			*eq = '\0';
			refuse.serial[refuse.n] = argv[++i];
			refuse.reason[refuse.n++] = eq + 1;
		} else if (!strcmp(argv[i], "--cert") && i + 1 < argc) {
			*cert = slurp(argv[++i]);
		} else if (!strcmp(argv[i], "--key") && i + 1 < argc) {
			*key = slurp(argv[++i]);
		} else if (!strcmp(argv[i], "--token-file") && i + 1 < argc) {
			token = slurp(argv[++i]);
			token[strcspn(token, "\r\n")] = '\0';
		} else if (!strcmp(argv[i], "--unavailable") && i + 1 < argc) {
			n_unavailable = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--slow") && i + 1 < argc &&
			   sscanf(argv[i + 1], "%ld:%ld", &n_slow, &slow_ms) == 2) {
			i++;
		} else {
			fprintf(stderr, "usage: mes-sim [--port N] [--port-file F] [--log F] "
				"[--refuse SERIAL=REASON]... [--unavailable N] [--slow N:MS] "
				"[--cert F --key F] [--token-file F]\n");
			return 2;
		}
	}
	if (!*cert != !*key) {
		fprintf(stderr, "mes-sim: --cert and --key go together\n");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *port_file = NULL;
	char *cert = NULL, *key = NULL;
	unsigned port = 0;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;

	logfile = stderr;
	if (parse_args(argc, argv, &port, &port_file, &cert, &key))
		return 2;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	/* HTTPS: the same server with its certificate and key */
	struct MHD_OptionItem tls[] = {
		{ cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, key },
		{ MHD_OPTION_END, 0, NULL },
	};
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			     (cert ? MHD_USE_TLS : 0),
			     (uint16_t)port, NULL, NULL, on_request, NULL,
			     MHD_OPTION_ARRAY, tls,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "mes-sim: cannot listen on port %u\n", port);
		return 1;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (port_file) {
		FILE *f = fopen(port_file, "w");

		if (f) {
			fprintf(f, "%u\n", di ? di->port : port);
			fclose(f);
		}
	}
	while (!quit)
		pause();
	MHD_stop_daemon(d);
	free(cert);
	free(key);
	free(token);
	return 0;
}
