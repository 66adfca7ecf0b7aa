/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secure-element access, behind one table of function pointers:
 *   console: through the DUT's diagnostic firmware console (se info, se cert,
 *            se sign <hex>) over a transport the caller provides;
 *   sim:     in-process, for unit tests.
 * And the identity checks (chain to the manufacturer roots, proof of
 * possession, 802.1AR / RFC 8995 fields) done with mbedTLS.
 */
#ifndef ST_SE_SE_H
#define ST_SE_SE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/err.h"

/* A console transport: send cmd, collect the response body (ST_OK on "OK").
 * Same contract as fixtures/console.h console_cmd(), passed in so that se/
 * does not depend on fixtures/. */
typedef int (*se_xfer_fn)(void *ctx, const char *cmd, char *resp, size_t cap,
			  int timeout_ms, struct st_error *e);

struct se;

struct se_ops {
	const char *name;
	/* Chip serial as printed by the SE (hex). */
	int (*info)(struct se *se, char *chip_serial, size_t cap, struct st_error *e);
	/* The certificate chain, PEM, leaf first. */
	int (*cert_chain)(struct se *se, char *pem, size_t cap, struct st_error *e);
	/* ECDSA P-256 signature (DER) over SHA-256(msg). */
	int (*sign)(struct se *se, const uint8_t *msg, size_t len, uint8_t *sig,
		    size_t cap, size_t *sig_len, struct st_error *e);
	void (*close)(struct se *se);
};

struct se {
	const struct se_ops *ops;
	void *priv;
	int timeout_ms;
};

int se_open_console(struct se **out, se_xfer_fn xfer, void *ctx, int timeout_ms,
		    struct st_error *e);
/* sim: key and chain from PEM files (as dut-sim --se-key/--se-cert/--se-chain). */
int se_open_sim(struct se **out, const char *key_pem_path, const char *chain_pem_path,
		struct st_error *e);
void se_close(struct se *se);

/* What the sequence asks of the identity. */
struct se_policy {
	const char *trust;		/* file or directory of manufacturer root PEMs */
	const char *expect_serial;	/* subject serialNumber must equal this (NULL: any) */
	bool require_masa;		/* MASA URL extension must be present */
	bool skip_pop;			/* certificate file only: no proof of possession */
};

#define SE_MAX_CHECKS 16

struct se_check {
	char name[32];		/* "chain", "pop", "serialNumber", "masa-url", "not-after",
				   "basic-constraints", "key-type", "key-usage" */
	bool pass;
	char detail[384];	/* what was found, or what failed and what to do */
};

/* Everything the identity step learns; fields mirror struct db_identity. */
struct se_identity {
	char chip_serial[64];
	char cert_serial[80];
	char subject[256];
	char issuer[256];
	char not_before[24];
	char not_after[24];
	char fingerprint[65];
	char spki_sha256[65];
	char subject_serial[64];
	char masa_url[256];
	char nonce[65];
	char signature[160];
	char dpp_uri[256];
	char *pem_chain;	/* heap, freed by se_identity_free */
	struct se_check checks[SE_MAX_CHECKS];
	int n_checks;
	char key_type[32];	/* "EC P-256", "EC P-384", "RSA-2048", ... */
};

/* Read, verify and prove the identity held by se.  Returns ST_OK when every
 * check passed, ST_ERR_CERT when one failed (each check says why; e names
 * the first), other errors when the SE could not be read.  id must start
 * zeroed, or hold an earlier result (its chain is freed, then cleared). */
int se_identity_read(struct se *se, const struct se_policy *p, struct se_identity *id,
		     struct st_error *e);
/* The same report for a certificate (chain) file, without a board. */
int se_identity_check_file(const char *path, const struct se_policy *p,
			   struct se_identity *id, struct st_error *e);
void se_identity_free(struct se_identity *id);

/* The named check, or NULL when it was not run. */
const struct se_check *se_identity_check(const struct se_identity *id, const char *name);
/* How many checks failed (0: the identity is good). */
int se_identity_failures(const struct se_identity *id);

/*
 * The report for the operator and `station cert check`: the identity's
 * fields ("subject      ..."), then one line per check:
 *     PASS serialNumber       00-D0-E5-F2-00-02
 *     FAIL chain              the issuer 'CN=...' expired on 2021-02-11 22:22:21 UTC: ...
 * then "result: PASS" or "result: FAIL (n of m checks failed)".
 */
void se_identity_print(FILE *f, const struct se_identity *id);

/* The backends (for a registry or a test that wants to name one). */
extern const struct se_ops se_console_ops;
extern const struct se_ops se_sim_ops;

#endif
