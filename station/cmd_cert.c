/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station cert check FILE [-c station.yaml] [--trust FILE|DIR] [--serial S]
 *                         [--require-masa] [policy options] [--json]
 *
 * The identity step's report for a certificate or chain file, without a
 * board: an engineer checking a supplier's sample part.  The same checks,
 * words and fields as the identity step (se_identity_print/_fields), with
 * station.yaml's trust and identity policy when -c is given.  Exit 0 when
 * every check passes, 1 when one fails, 2 on usage, 3 when the file, the
 * trust store or the CRLs cannot be read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "se/se.h"
#include "report/report.h"
#include "station/commands.h"
#include "station/cms_status.h"
#include "station/config.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station cert check FILE [-c station.yaml] [--trust FILE|DIR] [--serial S]\n"
		"                               [--require-masa] [--key-types LIST] [--policy OID]\n"
		"                               [--crl FILE|DIR] [--require-cn]\n"
		"                               [--allow-intermediate-anchor] [--json]\n"
		"\n"
		"Checks an IDevID certificate (PEM or DER; a PEM chain with the leaf first)\n"
		"the way the identity step checks a board's secure element, without the\n"
		"proof of possession: the chain to the manufacturer roots, the 802.1AR /\n"
		"RFC 8995 fields (subject serialNumber, MASA URL, notAfter, CA:FALSE, key\n"
		"type, key usage), the RFC 5280 extensions (critical ones, path length,\n"
		"name constraints, EKU, policies), the anchor and revocation, and prints\n"
		"the fingerprints and the DPP URI (docs/identity.md, the policy table).\n"
		"\n"
		"options:\n"
		"  -c, --config FILE  station.yaml: its trust: and identity: policy\n"
		"  --trust FILE|DIR   manufacturer root(s): a PEM/DER file or a directory\n"
		"                     of *.crt / *.pem files (without it the chain fails)\n"
		"  --key-types LIST   allowed key types, e.g. p256,p384 (default p256)\n"
		"  --policy OID       a certificate policy the leaf must assert (repeatable)\n"
		"  --crl FILE|DIR     CRLs: revocation checked, each issuer's CRL current\n"
		"  --require-cn       the subject must hold exactly one commonName\n"
		"  --allow-intermediate-anchor  a chain may end at a trusted intermediate\n"
		"  --serial S         the subject serialNumber must equal S\n"
		"  --require-masa     the MASA URL extension (1.3.6.1.5.5.7.1.32) must be there\n"
		"  --json             one JSON object instead of the text report\n"
		"  -h, --help         this text\n"
		"\n"
		"exit status: 0 every check passed, 1 a check failed, 2 usage,\n"
		"             3 the certificate or trust store cannot be read,\n"
		"             4 the CMS gave no status answer (station.yaml identity: cms_status)\n");
}

/* --key-types p256,p384 */
static int key_types(const char *list, unsigned *out)
{
	char buf[64], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	*out = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned b = se_key_type_parse(t);

		if (!b) {
			fprintf(stderr, "station cert check: --key-types: '%s' is not p256, p384 "
				"or p521\n", t);
			return -1;
		}
		*out |= b;
	}
	return 0;
}

static int cert_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "trust", required_argument, NULL, 't' },
		{ "serial", required_argument, NULL, 's' },
		{ "require-masa", no_argument, NULL, 'm' },
		{ "key-types", required_argument, NULL, 'k' },
		{ "policy", required_argument, NULL, 'p' },
		{ "crl", required_argument, NULL, 'r' },
		{ "require-cn", no_argument, NULL, 'n' },
		{ "allow-intermediate-anchor", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct se_policy pol = { .skip_pop = true }, cli = { 0 };
	struct station_config cfg = { 0 };
	const char *config = NULL;
	struct se_identity id;
	struct cms_status_src src;
	struct st_error e;
	bool json = false, have_cfg = false, unknown;
	int c, ret, np = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 't': cli.trust = optarg; break;
		case 'k':
			if (key_types(optarg, &cli.key_types) < 0)
				return EXIT_USAGE;
			break;
		case 'p':
			if (np == SE_MAX_POLICIES) {
				fprintf(stderr, "station cert check: at most %d --policy\n",
					SE_MAX_POLICIES);
				return EXIT_USAGE;
			}
			cli.policies[np++] = optarg;
			break;
		case 'r': cli.crl = optarg; break;
		case 'n': cli.require_cn = true; break;
		case 'a': cli.allow_intermediate_anchor = true; break;
		case 's': cli.expect_serial = optarg; break;
		case 'm': cli.require_masa = true; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return EXIT_PASS;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "station cert check: give exactly one certificate file\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	st_error_clear(&e);
	if (config) {
		if (config_load(&cfg, config, &e) < 0) {
			fprintf(stderr, "station cert check: %s\n", e.msg);
			return EXIT_CONFIG;
		}
		have_cfg = true;
		pol = cfg.identity;
		pol.trust = cfg.trust;
		pol.skip_pop = true;
		if (cfg.cms_status)	/* the same revocation sources as the steps */
			cms_status_source(&pol, &src, &cfg.cms);
	}
	/* the command line adds to (or overrides) station.yaml's policy */
	pol.expect_serial = cli.expect_serial ? cli.expect_serial : pol.expect_serial;
	pol.require_masa |= cli.require_masa;
	pol.trust = cli.trust ? cli.trust : pol.trust;
	pol.key_types = cli.key_types ? cli.key_types : pol.key_types;
	pol.crl = cli.crl ? cli.crl : pol.crl;
	pol.require_cn |= cli.require_cn;
	pol.allow_intermediate_anchor |= cli.allow_intermediate_anchor;
	if (np)
		memcpy(pol.policies, cli.policies, sizeof(pol.policies));
	memset(&id, 0, sizeof(id));
	ret = se_identity_check_file(argv[optind], &pol, &id, &e);
	unknown = ret < 0 && ret != ST_ERR_CERT && se_identity_status_unknown(&id);
	if (ret < 0 && ret != ST_ERR_CERT && !unknown) {
		fprintf(stderr, "station cert check: %s\n", e.msg);
		se_identity_free(&id);
		if (have_cfg)
			config_free(&cfg);
		return EXIT_CONFIG;
	}
	if (json) {
		report_cert_json(stdout, argv[optind], &id);
	} else {
		printf("%-12s %s\n", "file", argv[optind]);
		se_identity_print(stdout, &id);
	}
	se_identity_free(&id);
	if (have_cfg)
		config_free(&cfg);
	if (unknown) {		/* the network's trouble, not the part's */
		fprintf(stderr, "station cert check: %s\n", e.msg);
		return EXIT_STATION;
	}
	return ret == ST_OK ? EXIT_PASS : EXIT_UNIT_FAIL;
}

int cmd_cert(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_PASS;
	}
	if (!strcmp(argv[1], "check"))
		return cert_check(argc - 1, argv + 1);
	fprintf(stderr, "station cert: unknown sub-command '%s' (try 'station cert check')\n",
		argv[1]);
	return EXIT_USAGE;
}
