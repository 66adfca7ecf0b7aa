/* SPDX-License-Identifier: Apache-2.0 */
/* station cert check --json: one object, the identity's fields and checks. */
#include <string.h>

#include "report/report-internal.h"

/* The shared fields (se_identity_fields), under the keys JSON has always
 * used: "-" becomes "_", sha256/key/dpp are fingerprint/key_type/dpp_uri. */
static void json_field(void *ctx, const char *key, const char *val)
{
	char k[32];
	size_t i;

	for (i = 0; key[i] && i + 1 < sizeof(k); i++)
		k[i] = key[i] == '-' ? '_' : key[i];
	k[i] = '\0';
	json_object_set_new(ctx, !strcmp(k, "sha256") ? "fingerprint" :
			    !strcmp(k, "key") ? "key_type" : !strcmp(k, "dpp") ? "dpp_uri" : k,
			    json_string(val));
}

void report_cert_json(FILE *out, const char *file, const struct se_identity *id)
{
	json_t *o = json_object(), *checks = json_array();

	json_object_set_new(o, "file", json_string(file));
	se_identity_fields(id, json_field, o);
	json_object_set_new(o, "pem_chain", json_string(id->pem_chain ? id->pem_chain : ""));
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
