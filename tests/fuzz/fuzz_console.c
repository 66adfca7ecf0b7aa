/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the firmware line console (link/console.h) and the SE
 * console backend above it (se/se_console.c, through se_identity_read),
 * fed the board's side of the conversation from the fuzzer's input over
 * the in-memory link (fuzz_link.h).  The first byte picks what runs and
 * how big the caller's buffer is.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link/console.h"
#include "se/se.h"
#include "fuzz_link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int xfer(void *ctx, const char *cmd, char *resp, size_t cap, int timeout_ms,
		struct st_error *e)
{
	return console_cmd(ctx, cmd, resp, cap, timeout_ms, e);
}

/* The board answers through its console: read the identity, check it. */
static void run_se(struct link *l)
{
	struct se_policy pol = { .trust = FUZZ_TRUST };
	struct se_identity id;
	struct st_error e = { 0 };
	struct se *se = NULL;

	memset(&id, 0, sizeof(id));
	if (se_open_console(&se, xfer, l, 50, &e) < 0)
		return;
	se_identity_read(se, &pol, &id, &e);
	se_identity_free(&id);
	se_close(se);
}

static void run_cmds(struct link *l, size_t cap)
{
	static const char *const cmds[] = { "version", "rail 3v3", "selftest", "id" };
	struct st_error e = { 0 };
	char *resp = malloc(cap);

	if (!resp)
		return;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int ret = console_cmd(l, cmds[i], resp, cap, 50, &e);

		if (ret == ST_OK && strnlen(resp, cap) == cap)
			__builtin_trap();	/* the response must be terminated */
		if (ret == ST_ERR_IO)
			break;
	}
	free(resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 1, 2, 16, 64, 4096 };
	struct fuzz_stream s;
	struct st_error e = { 0 };
	struct link l;
	char line[128];

	if (size < 1)
		return 0;
	fuzz_link_init(&l, &s, data + 1, size - 1);
	switch (data[0] % 8) {
	case 0:
		run_se(&l);
		break;
	case 1:
		console_wait_line(&l, "^(boot|diag) [0-9.]+$", line, sizeof(line), 50, &e);
		console_cmd(&l, "version", line, sizeof(line), 50, &e);
		break;
	default:
		run_cmds(&l, caps[data[0] / 8 % (sizeof(caps) / sizeof(caps[0]))]);
		break;
	}
	return 0;
}
