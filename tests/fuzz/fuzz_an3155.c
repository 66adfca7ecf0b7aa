/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the native AN3155 loader (loader/loader_an3155*.c) against
 * any bootloader replies.  The loader's writes go nowhere; its reads come
 * from the fuzzer's input over the in-memory link (fuzz_link.h), which can
 * also time out.  The first byte picks the options (verify mode, erase,
 * Go, retries), the second the image layout.
 */
#include <stdint.h>
#include <string.h>

#include "loader/an3155-internal.h"
#include "fuzz_link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t flash_a[600], flash_b[40];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_segment seg[2] = {
		{ .addr = 0x08000000, .len = sizeof(flash_a), .data = flash_a },
		{ .addr = 0x08010000, .len = sizeof(flash_b), .data = flash_b },
	};
	struct image img = { .format = IMG_RAW, .seg = seg, .n_seg = 1 };
	struct loader_result r;
	struct loader_opts o;
	struct fuzz_stream s;
	struct st_error e = { 0 };
	struct link l;

	if (size < 2)
		return 0;
	if (!flash_a[1]) {
		for (size_t i = 0; i < sizeof(flash_a); i++)
			flash_a[i] = (uint8_t)(i * 7 + 1);
		memset(flash_b, 0xA5, sizeof(flash_b));
	}
	loader_opts_default(&o);
	o.verify = (enum loader_verify)(data[0] % 3);
	o.mass_erase = data[0] & 4;
	o.go = data[0] & 8;
	o.retries = (data[0] >> 4) % 3;
	o.timeout_ms = 20;
	if (data[1] & 1)
		img.n_seg = 2;
	if (data[1] & 2) {
		seg[0].len = 17;	/* a short, odd-sized block */
		seg[0].addr = 0x08000100;
	}
	if (data[1] & 4) {
		o.flash_base = 0x08000000;
		o.flash_size = 64 * 1024;
		o.page_size = 1024;
	}
	img.total = seg[0].len + (img.n_seg > 1 ? seg[1].len : 0);
	fuzz_link_init(&l, &s, data + 2, size - 2);
	memset(&r, 0, sizeof(r));
	an3155_flash(&l, &img, &o, &r, &e);
	/* written counts whole words: a segment may gain up to 3 bytes each end */
	if (r.bytes_written > img.total + 6u * (unsigned)img.n_seg || strnlen(e.msg, sizeof(e.msg)) == sizeof(e.msg))
		__builtin_trap();
	return 0;
}
