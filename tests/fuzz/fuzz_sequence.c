/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the sequence loader.  ydoc_parse (the YAML tree) runs on the
 * bytes in memory, then sequence_load (tree -> validated flow) on the same
 * bytes written to /dev/shm, as the station reads a flow file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "station/sequence.h"
#include "station/ytree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const extra[] = { "images", "station", NULL };
	struct sequence *seq = NULL;
	struct st_error e = { 0 };
	struct ydoc d;
	char *errors = NULL;
	FILE *f;

	memset(&d, 0, sizeof(d));
	ydoc_parse(&d, "fuzz.yaml", data, size, &e);
	ydoc_free(&d);

	if (!path[0])
		snprintf(path, sizeof(path), "/dev/shm/st-fuzz-seq-%d.yaml", (int)getpid());
	f = fopen(path, "wb");
	if (!f)
		return 0;
	if (size)
		fwrite(data, 1, size, f);
	fclose(f);
	if (sequence_load(&seq, path, extra, &errors, &e) == ST_OK)
		sequence_free(seq);
	free(errors);
	unlink(path);
	return 0;
}
