/* SPDX-License-Identifier: Apache-2.0 */
/* station cert check --json: one object, the identity's fields and checks. */
#include "report/report-internal.h"

void report_cert_json(FILE *out, const char *file, const struct se_identity *id)
{
	json_t *o = json_object(), *checks = json_array();
	struct {
		const char *key;
		const char *val;
	} f[] = {
		{ "subject", id->subject }, { "issuer", id->issuer },
		{ "serial", id->cert_serial }, { "not_before", id->not_before },
		{ "not_after", id->not_after }, { "key_type", id->key_type },
		{ "fingerprint", id->fingerprint }, { "spki_sha256", id->spki_sha256 },
		{ "subject_serial", id->subject_serial }, { "masa_url", id->masa_url },
		{ "dpp_uri", id->dpp_uri }, { "pem_chain", id->pem_chain ? id->pem_chain : "" },
	};

	json_object_set_new(o, "file", json_string(file));
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		json_object_set_new(o, f[i].key, json_string(f[i].val));
	for (int i = 0; i < id->n_checks; i++)
		json_array_append_new(checks, json_pack("{s:s, s:b, s:s}",
							"name", id->checks[i].name,
							"pass", id->checks[i].pass,
							"detail", id->checks[i].detail));
	json_object_set_new(o, "checks", checks);
	json_object_set_new(o, "pass", json_boolean(se_identity_failures(id) == 0));
	rep_json_print(out, o, true);
	json_decref(o);
}
