/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station cert check FILE [--trust FILE|DIR] [--serial S] [--require-masa] [--json]
 *
 * The identity step's report for a certificate or chain file, without a
 * board: an engineer checking a supplier's sample part.  Exit 0 when every
 * check passes, 1 when one fails, 2 on usage, 3 when the file cannot be read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "common/err.h"
#include "se/se.h"
#include "report/report.h"
#include "station/commands.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station cert check FILE [--trust FILE|DIR] [--serial S] [--require-masa]\n"
		"                               [--json]\n"
		"\n"
		"Checks an IDevID certificate (PEM or DER; a PEM chain with the leaf first)\n"
		"the way the identity step checks a board's secure element, without the\n"
		"proof of possession: the chain to the manufacturer roots, the 802.1AR /\n"
		"RFC 8995 fields (subject serialNumber, MASA URL, notAfter, CA:FALSE, key\n"
		"type P-256, key usage), and prints the fingerprints and the DPP URI.\n"
		"\n"
		"options:\n"
		"  --trust FILE|DIR   manufacturer root(s): a PEM/DER file or a directory\n"
		"                     of *.crt / *.pem files (without it the chain fails)\n"
		"  --serial S         the subject serialNumber must equal S\n"
		"  --require-masa     the MASA URL extension (1.3.6.1.5.5.7.1.32) must be there\n"
		"  --json             one JSON object instead of the text report\n"
		"  -h, --help         this text\n"
		"\n"
		"exit status: 0 every check passed, 1 a check failed, 2 usage,\n"
		"             3 the certificate or trust store cannot be read\n");
}

static int cert_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, 't' },
		{ "serial", required_argument, NULL, 's' },
		{ "require-masa", no_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct se_policy pol = { .skip_pop = true };
	struct se_identity id;
	struct st_error e;
	bool json = false;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': pol.trust = optarg; break;
		case 's': pol.expect_serial = optarg; break;
		case 'm': pol.require_masa = true; break;
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
	memset(&id, 0, sizeof(id));
	st_error_clear(&e);
	ret = se_identity_check_file(argv[optind], &pol, &id, &e);
	if (ret < 0 && ret != ST_ERR_CERT) {
		fprintf(stderr, "station cert check: %s\n", e.msg);
		se_identity_free(&id);
		return EXIT_CONFIG;
	}
	if (json) {
		report_cert_json(stdout, argv[optind], &id);
	} else {
		printf("%-12s %s\n", "file", argv[optind]);
		se_identity_print(stdout, &id);
	}
	se_identity_free(&id);
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
