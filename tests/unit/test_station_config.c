/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station.yaml: defaults, paths relative to the file, the CMS settings and
 * its key file, variables, and each mistake reported as file:line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "station/config.h"

static char dir[64], path[128];

static void write_file(const char *name, const char *text)
{
	char p[192];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* dir/name, a directory */
static void make_dir(const char *name)
{
	char p[192];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(mkdir(p, 0700), 0);
}

static char msg[ST_ERRMSG_MAX];	/* what the last load() said */

/* Load station.yaml holding text: the return value; e.msg in msg. */
static int load(struct station_config *c, const char *text)
{
	struct st_error e = { 0 };
	int ret;

	write_file("station.yaml", text);
	ret = config_load(c, path, &e);
	memcpy(msg, e.msg, sizeof(msg));
	return ret;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/st-config-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/station.yaml", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* in dir, as the config resolves a relative path */
static const char *in_dir(const char *rel)
{
	static char p[4][192];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, rel);
	return p[i];
}

static void test_no_file_gives_defaults(void **state)
{
	struct station_config c;
	struct st_error e = { 0 };

	assert_int_equal(config_load(&c, NULL, &e), ST_OK);
	assert_string_equal(c.station, "station");
	assert_string_equal(c.log, "station.db");
	assert_null(c.trust);
	assert_null(c.cms.url);
	assert_int_equal(c.cms.attempts, 3);
	assert_int_equal(c.n_fixtures, 0);
	config_free(&c);
}

static void test_full_file(void **state)
{
	struct station_config c;

	write_file("cms.key", "s3cret-key\r\n");
	/* the files it names are there: they are checked when it loads */
	make_dir("pki");
	make_dir("pki/trust");
	make_dir("seq");
	write_file("pki/ca.crt", "-\n");
	write_file("seq/flow.yaml", "-\n");
	assert_int_equal(load(&c, "station: line1-st01\n"
			      "log: logs/station.db\n"
			      "sync: full\n"
			      "trust: pki/trust\n"
			      "sequence: seq/flow.yaml\n"
			      "cms: {url: 'https://cms.example:8443', ca: pki/ca.crt, "
			      "api_key_file: cms.key, timeout: 2500ms, attempts: 5, backoff: 1s}\n"
			      "vars: {images: /srv/images, lot: '42'}\n"
			      "fixtures: [fx/a.yaml, /abs/b.yaml]\n"), ST_OK);
	assert_string_equal(c.station, "line1-st01");
	assert_string_equal(c.log, in_dir("logs/station.db"));
	assert_true(c.sync_full);
	assert_string_equal(c.trust, in_dir("pki/trust"));
	assert_string_equal(c.sequence, in_dir("seq/flow.yaml"));
	assert_string_equal(c.cms.url, "https://cms.example:8443");
	assert_string_equal(c.cms.ca_file, in_dir("pki/ca.crt"));
	/* the key's one line, its line end cut */
	assert_string_equal(c.cms.api_key, "s3cret-key");
	assert_int_equal(c.cms.timeout_ms, 2500);
	assert_int_equal(c.cms.attempts, 5);
	assert_int_equal(c.cms.backoff_ms, 1000);
	assert_false(c.cms.insecure);
	assert_int_equal(c.n_fixtures, 2);
	assert_string_equal(c.fixtures[0], in_dir("fx/a.yaml"));
	assert_string_equal(c.fixtures[1], "/abs/b.yaml");
	assert_string_equal(vars_get(&c.vars, "images"), "/srv/images");
	assert_string_equal(vars_get(&c.vars, "lot"), "42");
	/* and the config's own: its directory, the trust roots */
	assert_string_equal(vars_get(&c.vars, "config_dir"), dir);
	assert_string_equal(vars_get(&c.vars, "trust"), in_dir("pki/trust"));
	config_free(&c);
}

/* With no log named, the log sits next to station.yaml. */
static void test_log_defaults_next_to_the_file(void **state)
{
	struct station_config c;

	assert_int_equal(load(&c, "station: s1\n"), ST_OK);
	assert_string_equal(c.log, in_dir("station.db"));
	assert_false(c.sync_full);
	config_free(&c);
}

/* Every mistake at once, each at its place. */
static void test_mistakes_are_located(void **state)
{
	struct station_config c;
	char want[256];

	assert_int_equal(load(&c, "station: s1\n"
			      "bogus: 1\n"
			      "sync: sometimes\n"
			      "vars: {a: [1, 2]}\n"
			      "fixtures: one.yaml\n"
			      "cms: {url: 'https://x', attempts: 50}\n"),
			 ST_ERR_PARSE);
	snprintf(want, sizeof(want), "%s:2:1: unknown key 'bogus' in station.yaml", path);
	assert_non_null(strstr(msg, want));
	snprintf(want, sizeof(want), "%s:3:7: sync must be normal or full", path);
	assert_non_null(strstr(msg, want));
	snprintf(want, sizeof(want), "%s:4:11: vars: 'a' must be a text value", path);
	assert_non_null(strstr(msg, want));
	snprintf(want, sizeof(want), "%s:5:11: fixtures must be a list of fixture files", path);
	assert_non_null(strstr(msg, want));
	snprintf(want, sizeof(want), "%s:6:35: cms attempts must be 1 to 20", path);
	assert_non_null(strstr(msg, want));
	/* nothing half-loaded is left to free */
	assert_null(c.station);
}

/* plant: the reports' clock: a tz database zone and shifts in order */
static void test_plant(void **state)
{
	struct station_config c;

	assert_int_equal(load(&c, "plant:\n  timezone: Europe/Berlin\n  shifts:\n"
			      "    - {name: early, start: \"06:00\"}\n"
			      "    - {name: late, start: \"14:00\"}\n"
			      "    - {name: night, start: \"22:00\"}\n"), ST_OK);
	assert_string_equal(c.plant.timezone, "Europe/Berlin");
	assert_int_equal(c.plant.n_shifts, 3);
	assert_string_equal(c.plant.shift[2].name, "night");
	assert_int_equal(c.plant.shift[1].start_min, 14 * 60);
	config_free(&c);
	assert_int_equal(load(&c, "plant:\n  timezone: Mars/Olympus\n  shifts:\n"
			      "    - {name: a, start: \"14:00\"}\n"
			      "    - {name: b, start: \"06:00\"}\n"
			      "    - {name: c, start: \"25:00\"}\n"), ST_ERR_PARSE);
	assert_non_null(strstr(msg, ":2:13: plant: timezone 'Mars/Olympus' is not a zone"));
	assert_non_null(strstr(msg, "plant: shift 'b' start '06:00': HH:MM, later than the shift "
				    "before"));
	assert_non_null(strstr(msg, "plant: shift 'c' start '25:00'"));
}

static void test_cms_v2_needs_a_client_certificate(void **state)
{
	struct station_config c;

	assert_int_equal(load(&c, "cms: {url: 'https://x', protocol: v2}\n"),
			 ST_ERR_PARSE);
	assert_non_null(strstr(msg, "cms protocol v2 authenticates with a TLS client "
				    "certificate: set client_cert and client_key"));
}

static void test_key_file_problems(void **state)
{
	struct station_config c;
	char want[256];

	/* at the key's station.yaml:LINE:COL, as the other files it names */
	assert_int_equal(load(&c, "cms: {url: 'https://x', api_key_file: none.key}\n"),
			 ST_ERR_PARSE);
	snprintf(want, sizeof(want), ":1:39: cms.api_key_file: cannot read the CMS API key file "
		 "%s: No such file or directory; give the file with the CMS API key (one line), "
		 "relative to station.yaml", in_dir("none.key"));
	assert_non_null(strstr(msg, want));
	write_file("empty.key", "\n");
	assert_int_equal(load(&c, "cms: {url: 'https://x', api_key_file: empty.key}\n"),
			 ST_ERR_PARSE);
	snprintf(want, sizeof(want), ":1:39: cms.api_key_file: the CMS API key file %s is empty",
		 in_dir("empty.key"));
	assert_non_null(strstr(msg, want));
	assert_int_equal(load(&c, "mes: {url: 'https://x', operation: t, token_file: none.tok}\n"),
			 ST_ERR_PARSE);
	snprintf(want, sizeof(want), ":1:51: mes.token_file: cannot read the MES token file %s",
		 in_dir("none.tok"));
	assert_non_null(strstr(msg, want));
}

/* Each file and URL station.yaml names is checked when it loads, every one
 * at its file:line:col with what to give: not when the first board needs
 * it, after it was flashed. */
static void test_files_and_urls_checked_at_load(void **state)
{
	struct station_config c;
	char *errors = NULL;
	struct st_error e = { 0 };
	char want[320];
	static const char *const wants[] = {
		":1:8: trust: cannot read pki/nothere (%s/pki/nothere): No such file or directory; "
		"give the manufacturer roots (a PEM file or a directory), relative to station.yaml",
		":2:41: cms.ca: cannot read pki/nothere.crt (%s/pki/nothere.crt): No such file",
		":2:12: cms.url 'http://127.0.0.1:8443' is not https://: give https://HOST:PORT",
		":4:20: cms.client_cert: cannot read c.crt (%s/c.crt)",
		":4:39: cms.client_key: cannot read c.key (%s/c.key)",
		":5:17: identity.crl: cannot read crl (%s/crl)",
		":6:29: central.passfile: cannot read p (%s/p)",
		":7:19: serve.tls_cert: cannot read s.crt (%s/s.crt)",
		":7:54: serve.token_file: cannot read t (%s/t)",
		":8:27: mes.ca: cannot read m.crt (%s/m.crt)",
		":8:12: mes.url 'ftp://m' is not http:// or https://",
	};

	write_file("station.yaml",
		   "trust: pki/nothere\n"
		   "cms: {url: 'http://127.0.0.1:8443', ca: pki/nothere.crt,\n"
		   "      org: acme, protocol: v2, template_id: 1,\n"
		   "      client_cert: c.crt, client_key: c.key}\n"
		   "identity: {crl: crl}\n"
		   "central: {url: x, passfile: p}\n"
		   "serve: {tls_cert: s.crt, tls_key: s.crt, token_file: t}\n"
		   "mes: {url: 'ftp://m', ca: m.crt, operation: test}\n");
	assert_int_equal(config_load_all(&c, path, &errors, &e), ST_ERR_PARSE);
	assert_non_null(errors);
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		int n = snprintf(want, sizeof(want), "%s", path);

		snprintf(want + n, sizeof(want) - (size_t)n, wants[i], dir);
		if (!strstr(errors, want))
			fail_msg("no '%s' in:\n%s", want, errors);
	}
	/* e.msg: the first ones, whole lines, and how many more */
	snprintf(want, sizeof(want), "%s:1:8: trust: cannot read", path);
	assert_ptr_equal(strstr(e.msg, want), e.msg);
	assert_non_null(strstr(e.msg, "more: `station lint -c "));
	free(errors);

	/* a first problem longer than the message: what fits of it, then the next */
	snprintf(want, sizeof(want), "%0300d: 1\nsync: x\n", 0);
	assert_int_equal(load(&c, want), ST_ERR_PARSE);
	snprintf(want, sizeof(want), "%s:1:1: unknown key '000", path);
	assert_ptr_equal(strstr(msg, want), msg);
	snprintf(want, sizeof(want), "...\n%s:2:7: sync must be normal or full", path);
	assert_non_null(strstr(msg, want));

	/* insecure: true lets a lab CMS go without TLS */
	make_dir("pki");
	write_file("pki/ca.crt", "-\n");
	assert_int_equal(load(&c, "cms: {url: 'http://lab:80', insecure: true, ca: pki/ca.crt}\n"),
			 ST_OK);
	assert_string_equal(c.cms.ca_file, in_dir("pki/ca.crt"));
	config_free(&c);
}

/* ${config_dir} is station.yaml's directory, absolute, however -c named the
 * file; station.yaml's vars: use it (and the vars before them): a value is
 * text, not a path, so "images" stays "images" and a directory next to
 * station.yaml is "${config_dir}/images". */
static void test_config_dir(void **state)
{
	struct station_config c;
	char cwd[256], real[256], want[320];
	struct st_error e = { 0 };

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_non_null(realpath(dir, real));
	write_file("station.yaml", "vars: {images: '${config_dir}/images', diag: '${images}/d.bin',\n"
		   "       rel: images, lit: '$${serial}'}\n");
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(config_load(&c, "station.yaml", &e), ST_OK);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(vars_get(&c.vars, "config_dir"), real);
	snprintf(want, sizeof(want), "%s/images", real);
	assert_string_equal(vars_get(&c.vars, "images"), want);
	snprintf(want, sizeof(want), "%s/images/d.bin", real);
	assert_string_equal(vars_get(&c.vars, "diag"), want);
	assert_string_equal(vars_get(&c.vars, "rel"), "images");
	assert_string_equal(vars_get(&c.vars, "lit"), "${serial}");
	config_free(&c);
	/* a variable the run gives has no value yet here */
	assert_int_equal(load(&c, "vars: {a: '${serial}/x'}\n"), ST_ERR_PARSE);
	snprintf(want, sizeof(want), "%s:1:11: vars: 'a': variable '${serial}' has no value", path);
	assert_non_null(strstr(msg, want));
	assert_non_null(strstr(msg, "may use ${config_dir} and the vars before it"));
}

static void test_missing_file(void **state)
{
	struct station_config c;
	struct st_error e = { 0 };
	char p[192];

	snprintf(p, sizeof(p), "%s/nothere.yaml", dir);
	assert_true(config_load(&c, p, &e) < 0);
	assert_non_null(strstr(e.msg, "nothere.yaml"));
}

/* Every variable's name for the linter, however many (once only 64 were
 * passed on), then the --var names. */
static void test_var_names(void **state)
{
	static const char *const assign[] = { "w=1", "x=a=b", "bare" };
	struct station_config c;
	char *text, name[16];
	char **names;
	size_t len = 0, cap = 16 * 200 + 64;
	int n = 0;

	text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "vars:\n");
	for (int i = 1; i <= 200; i++)
		len += (size_t)snprintf(text + len, cap - len, "  v%d: x\n", i);
	assert_int_equal(load(&c, text), ST_OK);
	free(text);
	names = config_var_names(&c, assign, 3);
	assert_non_null(names);
	while (names[n])
		n++;
	/* 200, config_dir, and the three assignments */
	assert_int_equal(n, 200 + 1 + 3);
	for (int i = 1; i <= 200; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		assert_string_equal(names[i - 1], name);
	}
	assert_string_equal(names[200], "config_dir");
	assert_string_equal(names[201], "w");
	assert_string_equal(names[202], "x");
	assert_string_equal(names[203], "bare");
	config_names_free(names);
	config_free(&c);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_no_file_gives_defaults),
		T(test_full_file),
		T(test_log_defaults_next_to_the_file),
		T(test_mistakes_are_located),
		T(test_plant),
		T(test_cms_v2_needs_a_client_certificate),
		T(test_key_file_problems),
		T(test_missing_file),
		T(test_files_and_urls_checked_at_load),
		T(test_config_dir),
		T(test_var_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
