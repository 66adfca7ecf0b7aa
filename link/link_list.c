/* SPDX-License-Identifier: Apache-2.0 */
/* The serial ports on this machine, for `station fixtures` (libserialport). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include <libserialport.h>

#include "link/link.h"

/* /dev/serial/by-id/NAME for a port, when udev made one (stable names). */
static bool by_id_name(const char *port, char *out, size_t cap)
{
	static const char dir[] = "/dev/serial/by-id";
	char path[PATH_MAX], real[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (realpath(path, real) && !strcmp(real, port)) {
			snprintf(out, cap, "%s", path);
			found = true;
		}
	}
	closedir(d);
	return found;
}

void link_list_ports(FILE *out)
{
	struct sp_port **ports = NULL;
	enum sp_return r;
	char *msg, byid[PATH_MAX];
	int n = 0;

	fprintf(out, "Serial ports:\n");
	r = sp_list_ports(&ports);
	if (r != SP_OK) {
		msg = sp_last_error_message();
		fprintf(out, "  cannot list serial ports: %s\n", msg ? msg : "libserialport error");
		sp_free_error_message(msg);
		return;
	}
	for (; ports[n]; n++) {
		struct sp_port *p = ports[n];
		const char *desc = sp_get_port_description(p);
		int vid, pid;

		fprintf(out, "  %-16s %s", sp_get_port_name(p), desc ? desc : "");
		if (sp_get_port_transport(p) == SP_TRANSPORT_USB &&
		    sp_get_port_usb_vid_pid(p, &vid, &pid) == SP_OK) {
			const char *ser = sp_get_port_usb_serial(p);

			fprintf(out, "  USB %04x:%04x", vid, pid);
			if (ser)
				fprintf(out, "  serial %s", ser);
		}
		fprintf(out, "\n");
		if (by_id_name(sp_get_port_name(p), byid, sizeof(byid)))
			fprintf(out, "  %-16s port: %s\n", "", byid);
	}
	sp_free_port_list(ports);
	if (!n)
		fprintf(out, "  no serial port found; a USB-UART shows up as /dev/ttyUSBn or "
		       "/dev/ttyACMn (check the cable and 'dmesg')\n");
}
