/* SPDX-License-Identifier: Apache-2.0 */
/* Hex digits, as the wire (SE signatures) and files (Intel HEX) carry them. */
#ifndef ST_COMMON_HEX_H
#define ST_COMMON_HEX_H

/* The value of one hex digit, or -1. */
static inline int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
