/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the CMS response parser (cms/cms.h) on any body and any
 * HTTP status; the first two bytes pick the status.
 */
#include <stdint.h>
#include <string.h>

#include "cms/cms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 200, 201, 409, 400, 401, 403, 500, 503, 0, 302 };
	struct cms_result res;
	struct st_error e = { 0 };
	int status;

	if (size < 1)
		return 0;
	status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	memset(&res, 0, sizeof(res));
	cms_parse_response((const char *)data + 1, size - 1, status, &res, &e);
	/* whatever it says, the fields it fills are terminated strings */
	if (strnlen(res.status, sizeof(res.status)) == sizeof(res.status) ||
	    strnlen(res.id, sizeof(res.id)) == sizeof(res.id) ||
	    strnlen(e.msg, sizeof(e.msg)) == sizeof(e.msg))
		__builtin_trap();
	return 0;
}
