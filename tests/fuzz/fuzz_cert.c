/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the certificate checks (se_identity_check_file) on any PEM
 * or DER bytes, against the fuzz PKI's root (tests/fuzz/trust/), so inputs
 * derived from the seeds chain and reach every named check.  The file goes
 * through /dev/shm: the function under test takes a path, as the station's
 * `cert check` does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "se/se.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static int write_file(const uint8_t *data, size_t size)
{
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/dev/shm/st-fuzz-cert-%d", (int)getpid());
	f = fopen(path, "wb");
	if (!f)
		return -1;
	if (size && fwrite(data, 1, size, f) != size) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct se_policy pol = { .trust = FUZZ_TRUST, .skip_pop = true };
	struct se_identity id;
	struct st_error e = { 0 };
	int ret;

	if (size < 1 || write_file(data + 1, size - 1) < 0)
		return 0;
	pol.require_masa = data[0] & 1;
	pol.expect_serial = data[0] & 2 ? "SIM000001" : NULL;
	memset(&id, 0, sizeof(id));
	ret = se_identity_check_file(path, &pol, &id, &e);
	if (ret == ST_OK && se_identity_failures(&id))
		__builtin_trap();	/* "passed" with a failed check */
	se_identity_free(&id);
	unlink(path);
	return 0;
}
