/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secure-element access, behind one table of function pointers:
 *   console: through the DUT's diagnostic firmware console (se info, se cert,
 *            se sign <hex>; for enrolment se keygen, se csr, se write-cert)
 *            over a transport the caller provides;
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

#include "common/err.h"

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
	/*
	 * On-chip enrolment, optional (NULL: the backend cannot; the se_*()
	 * wrappers below answer ST_ERR_NOTSUP).  Slot 0 is the factory identity
	 * (read-only); slots 1.. take a P-256 key generated inside the SE.
	 */
	int (*keygen)(struct se *se, int slot, struct st_error *e);
	/* A PKCS#10 CSR (PEM) signed by the slot's key; subject in mbedTLS
	 * name syntax ("CN=SIM000101,serialNumber=SIM000101"). */
	int (*csr)(struct se *se, int slot, const char *subject, char *pem, size_t cap,
		   struct st_error *e);
	/* Store one certificate (PEM) in the slot; the SE refuses one whose
	 * public key is not the slot's (ST_ERR_FAIL, "the SE refused ..."). */
	int (*write_cert)(struct se *se, int slot, const char *pem, struct st_error *e);
	/* The slot's certificate (PEM). */
	int (*read_cert)(struct se *se, int slot, char *pem, size_t cap, struct st_error *e);
	/* As sign, with the slot's key. */
	int (*slot_sign)(struct se *se, int slot, const uint8_t *msg, size_t len, uint8_t *sig,
			 size_t cap, size_t *sig_len, struct st_error *e);
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

/* Key types an identity may hold (se_policy.key_types). */
#define SE_KEY_P256 0x1u
#define SE_KEY_P384 0x2u
#define SE_KEY_P521 0x4u
/* What the SE family holds: the default when key_types is 0. */
#define SE_KEY_DEFAULT SE_KEY_P256
/* "p256" -> SE_KEY_P256 ...; 0 for a name we do not know. */
unsigned se_key_type_parse(const char *name);

#define SE_MAX_POLICIES 8

/*
 * An online revocation source, asked by the caller's function (se/ has no
 * network): the station's is the CMS's status call (INeS v2
 * .../certificates/status, station.yaml identity: {cms_status: true}).
 */
struct se_status_answer {
	char status[24];	/* "Good", "Revoked", "Expired", "Unknown", or the source's word */
	char revoked_at[40];	/* when it says so */
	char reason[64];
};
/* Ask about leaf_pem (the leaf alone, PEM).  ST_OK with an answer; any error
 * means the source could not say (down, refused, malformed): e says why. */
typedef int (*se_status_fn)(void *ctx, const char *leaf_pem, struct se_status_answer *a,
			    struct st_error *e);

/*
 * What the station asks of the identity: the sequence's part (trust,
 * expect_serial, require_masa) and station.yaml's identity: policy.  Zero
 * is the default for every field (docs/identity.md, the policy table).
 */
struct se_policy {
	const char *trust;		/* file or directory of manufacturer root PEMs */
	const char *expect_serial;	/* subject serialNumber must equal this (NULL: any) */
	bool require_masa;		/* MASA URL extension must be present (IA5String) */
	bool skip_pop;			/* certificate file only: no proof of possession */
	unsigned key_types;		/* SE_KEY_* allowed; 0: SE_KEY_DEFAULT */
	bool require_cn;		/* the subject must hold exactly one commonName */
	bool allow_intermediate_anchor;	/* a chain may end at a trusted intermediate */
	const char *policies[SE_MAX_POLICIES + 1]; /* certificate-policy OIDs, dotted; the
					   leaf must assert one (none given: not checked) */
	const char *crl;		/* CRL file or directory (NULL: revocation not checked) */
	se_status_fn status;		/* online revocation source (NULL: none) */
	void *status_ctx;
	const char *status_source;	/* what it is, for the log: "cms:https://..." */
};

#define SE_MAX_CHECKS 24

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
	char masa_encoding[16];	/* "IA5String", "UTF8String", "" when absent */
	char anchor_subject[256]; /* the trust anchor the chain ended at */
	char anchor_sha256[65];	/* SHA-256 of its DER, hex ("" when the chain failed) */
	char revocation[300];	/* revocation sources: "none", "crl:<path>", "cms:<url>",
				   or "crl:<path> cms:<url>" */
	char trust_path[256];	/* the trust store used */
};

/* Read, verify and prove the identity held by se.  Returns ST_OK when every
 * check passed, ST_ERR_CERT when one failed (each check says why; e names
 * the first), other errors when the SE could not be read, or when the
 * online revocation source could not answer (then every check has run, id
 * holds them, and "cms-status" says the status is unknown).  id must start
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
/* Every check ran, but the online revocation source gave no answer (the
 * "cms-status" check says the status is unknown): not a verdict on the part. */
bool se_identity_status_unknown(const struct se_identity *id);

/*
 * The report for the operator and `station cert check`: the identity's
 * fields ("subject      ..."), then one line per check:
 *     PASS serialNumber       00-D0-E5-F2-00-02
 *     FAIL chain              the issuer 'CN=...' expired on 2021-02-11 22:22:21 UTC: ...
 * then "result: PASS" or "result: FAIL (n of m checks failed)".
 */
void se_identity_print(FILE *f, const struct se_identity *id);

/*
 * The identity's logged fields, one call per field that has a value, in
 * report order: what `station cert check --json` prints and what the
 * identity step records (step_values), so both say the same.
 */
typedef void (*se_field_fn)(void *ctx, const char *key, const char *value);
void se_identity_fields(const struct se_identity *id, se_field_fn fn, void *ctx);

/* A trust store's anchors: path and SHA-256 (hex) and subject of each. */
struct se_anchor {
	char sha256[65];
	char subject[256];
};
/* Load path and list its certificates (the first cap of them); *n: how
 * many it holds (out may be NULL with cap 0, to count them). */
int se_trust_anchors(const char *path, struct se_anchor *out, int cap, int *n,
		     struct st_error *e);

/* The proof-of-possession message (64 bytes): the domain-separation
 * prefix, 18 bytes of SHA-256 of the SE chip serial, the nonce
 * (docs/identity.md).  Returns its length, or ST_ERR_LIMIT when cap is too
 * small. */
#define SE_POP_PREFIX "IDevID-PoP-v1:"
int se_pop_message(const char *chip_serial, const uint8_t *nonce, size_t nonce_len,
		   uint8_t *out, size_t cap);

/* ---- on-chip enrolment (se_enroll.c) ------------------------------------ */

#define SE_SLOTS_MAX 10		/* slot numbers 0..9 (one digit on the console) */
#define SE_CSR_MAX 4096		/* the largest CSR (PEM) accepted from an SE */

/* The ops, or ST_ERR_NOTSUP naming the backend when it has no such slot. */
int se_keygen(struct se *se, int slot, struct st_error *e);
int se_csr(struct se *se, int slot, const char *subject, char *pem, size_t cap,
	   struct st_error *e);
int se_write_cert(struct se *se, int slot, const char *pem, struct st_error *e);
int se_read_cert(struct se *se, int slot, char *pem, size_t cap, struct st_error *e);
int se_slot_sign(struct se *se, int slot, const uint8_t *msg, size_t len, uint8_t *sig,
		 size_t cap, size_t *sig_len, struct st_error *e);

struct se_enrollment;

/* The CA's side: turn csr_pem into a certificate.  Sets en->cert_pem (heap,
 * malloc: the leaf, issuers may follow) and, when the CA says, en->ca_serial
 * (hex) and en->ca_thumbprint (SHA-1 or SHA-256 hex of the DER), which must
 * then agree with the certificate. */
typedef int (*se_issue_fn)(void *ctx, const char *csr_pem, struct se_enrollment *en,
			   struct st_error *e);

struct se_enroll_req {
	int slot;			/* 1..SE_SLOTS_MAX-1 */
	const char *subject;		/* for the CSR, mbedTLS name syntax */
	const struct se_policy *policy;	/* trust, expect_serial, require_masa */
	const char *issuers_pem;	/* intermediates up to the trust (NULL: none) */
	se_issue_fn issue;
	void *issue_ctx;
	/* A renewal: the CSR is signed by the key the slot already holds (no
	 * keygen), so the slot keeps its working certificate until the new
	 * one is issued, checked and written over it. */
	bool reuse_key;
};

struct se_enrollment {
	const char *stage;	/* the stage reached: "info", "keygen", "csr", "csr-check",
				   "issue", "cert-check", "write", "read-back", "pop", "done" */
	char *csr_pem;		/* heap */
	char *cert_pem;		/* heap, as the CA returned it */
	char ca_serial[80];
	char ca_thumbprint[80];
	struct se_identity id;	/* the new certificate: fields and every check */
};

/*
 * keygen -> CSR -> the CSR's own signature verified -> issue -> the
 * certificate checked (chain to the trust, public key = the CSR's,
 * serialNumber, 802.1AR fields, the CA's record) -> written to the slot ->
 * read back and compared byte for byte -> proof of possession (the slot
 * signs a fresh nonce, verified with the new certificate).  Stops at the
 * first stage that fails: a bad certificate is never written to the SE.
 * Returns ST_OK; ST_ERR_CERT when a check failed or the SE refused the
 * certificate (e names the check; en->id.checks hold every result); other
 * errors when the SE or the CA could not be reached (e says which stage).
 * en must start zeroed; free with se_enrollment_free.
 */
int se_enroll(struct se *se, const struct se_enroll_req *r, struct se_enrollment *en,
	      struct st_error *e);
/*
 * A certificate the slot already holds (pem), to be kept instead of enrolling
 * anew: the checks a new one gets (every identity check with r->policy, the
 * unit's names from r->subject; intermediates from r->issuers_pem), then
 * proof that the slot holds its key.  en->stage "kept" (or "info"); returns
 * as se_enroll.  en must start zeroed.
 */
int se_enroll_check_kept(struct se *se, const struct se_enroll_req *r, const char *pem,
			 struct se_enrollment *en, struct st_error *e);
void se_enrollment_free(struct se_enrollment *en);

/* The backends (for a registry or a test that wants to name one). */
extern const struct se_ops se_console_ops;
extern const struct se_ops se_sim_ops;

#endif
