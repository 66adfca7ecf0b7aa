/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The link layer over real file descriptors: a pty pair (termios backend, as
 * dut-sim's console is reached) and a TCP socket listening in this process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>
#include <pty.h>
#include <linux/serial.h>
#include <sys/ioctl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "link/link.h"

struct pty {
	int master;
	char slave[128];
	struct link *l;
};

static int pty_setup(void **state)
{
	struct pty *p = calloc(1, sizeof(*p));
	struct st_error e;
	int slave;

	assert_int_equal(openpty(&p->master, &slave, p->slave, NULL, NULL), 0);
	close(slave); /* the link opens it by name, as the station does */
	assert_int_equal(link_open(&p->l, p->slave, NULL, &e), ST_OK);
	*state = p;
	return 0;
}

static int pty_teardown(void **state)
{
	struct pty *p = *state;

	link_close(p->l);
	if (p->master >= 0)
		close(p->master);
	free(p);
	return 0;
}

static void test_pty_uses_termios(void **state)
{
	struct pty *p = *state;
	char lnk[64] = "/tmp/st-link-XXXXXX";

	assert_string_equal(p->l->ops->name, "termios");
	assert_ptr_equal(link_backend_for(p->slave), &link_termios_ops);
	/* dut-sim publishes its console as a symlink to the pty */
	assert_non_null(mkdtemp(lnk));
	strcat(lnk, "/console");
	assert_int_equal(symlink(p->slave, lnk), 0);
	assert_ptr_equal(link_backend_for(lnk), &link_termios_ops);
	unlink(lnk);
	*strrchr(lnk, '/') = '\0';
	rmdir(lnk);
	assert_ptr_equal(link_backend_for("tcp:localhost:2000"), &link_tcp_ops);
	assert_ptr_equal(link_backend_for("/dev/ttyUSB7"), &link_serialport_ops);
}

static void test_pty_read_write_counters(void **state)
{
	struct pty *p = *state;
	struct st_error e;
	char buf[16] = "";

	assert_int_equal(write(p->master, "hello", 5), 5);
	assert_int_equal(link_read_exact(p->l, buf, 5, 2000, &e), ST_OK);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(p->l->bytes_in, 5);

	assert_int_equal(link_write(p->l, "\x7f\x79", 2, 2000, &e), ST_OK);
	assert_int_equal(read(p->master, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "\x7f\x79", 2);
	assert_int_equal(p->l->bytes_out, 2);
}

static void test_pty_read_exact_timeout(void **state)
{
	struct pty *p = *state;
	struct st_error e;
	char buf[8];

	assert_int_equal(write(p->master, "abc", 3), 3);
	assert_int_equal(link_read_exact(p->l, buf, 5, 100, &e), ST_ERR_TIMEOUT);
	assert_non_null(strstr(e.msg, "got 3 of 5 bytes within 100 ms"));
	assert_int_equal(link_read_some(p->l, buf, 1, 0, &e), ST_ERR_TIMEOUT);
}

static void test_pty_flush_and_pushback(void **state)
{
	struct pty *p = *state;
	struct st_error e;
	char buf[8];

	assert_int_equal(write(p->master, "stale", 5), 5);
	/* wait for the bytes to reach the slave side before flushing */
	assert_int_equal(link_read_some(p->l, buf, 1, 2000, &e), 1);
	assert_int_equal(link_unread(p->l, "xy", 2, &e), ST_OK);
	assert_int_equal(link_flush_input(p->l), ST_OK);
	assert_int_equal(write(p->master, "Z", 1), 1);
	assert_int_equal(link_read_some(p->l, buf, sizeof(buf), 2000, &e), 1);
	assert_int_equal(buf[0], 'Z');

	/* bytes handed back come first, and are not counted twice */
	assert_int_equal(link_unread(p->l, "ab", 2, &e), ST_OK);
	assert_int_equal(link_unread(p->l, "01", 2, &e), ST_OK);
	assert_int_equal(write(p->master, "c", 1), 1);
	assert_int_equal(link_read_exact(p->l, buf, 5, 2000, &e), ST_OK);
	assert_memory_equal(buf, "01abc", 5);
	assert_int_equal(p->l->bytes_in, 3); /* 's', 'Z', 'c' */
}

static void test_pty_pushback_bounded(void **state)
{
	struct pty *p = *state;
	static char big[LINK_PUSHBACK_MAX + 1];
	struct st_error e;

	assert_int_equal(link_unread(p->l, big, sizeof(big), &e), ST_ERR_LIMIT);
	assert_int_equal(link_unread(p->l, big, sizeof(big) - 1, &e), ST_OK);
	assert_int_equal(link_unread(p->l, big, 1, &e), ST_ERR_LIMIT);
}

static void test_pty_set_opts_parity(void **state)
{
	struct pty *p = *state;
	struct link_opts o;
	struct st_error e;

	link_opts_default(&o);
	assert_int_equal(link_opts_parse_mode(&o, "8E1", &e), ST_OK);
	/* a pty cannot carry parity: asked for, not an error */
	assert_int_equal(link_set_opts(p->l, &o, &e), ST_OK);
	assert_int_equal(p->l->opts.parity, 'E');
	o.baud = 12345;
	assert_int_equal(link_set_opts(p->l, &o, &e), ST_ERR_ARG);
	assert_non_null(strstr(e.msg, "baud rate 12345"));
}

static void test_pty_closed_peer(void **state)
{
	struct pty *p = *state;
	struct st_error e;
	char buf[4];

	close(p->master);
	p->master = -1;
	assert_int_equal(link_read_some(p->l, buf, sizeof(buf), 2000, &e), ST_ERR_CLOSED);
	assert_non_null(strstr(e.msg, "closed"));
}

static void test_open_missing_port(void **state)
{
	struct link *l;
	struct st_error e;

	(void)state;
	assert_int_equal(link_open(&l, "/dev/ttyNOPE42", NULL, &e), ST_ERR_NOTFOUND);
	assert_null(l);
	assert_non_null(strstr(e.msg, "/dev/ttyNOPE42 does not exist"));
	assert_int_equal(link_open(&l, "", NULL, &e), ST_ERR_ARG);
}

static void test_parse_mode(void **state)
{
	static const char *bad[] = { "9N1", "8X1", "8N3", "", "8N1x", "N81" };
	struct link_opts o;
	struct st_error e;
	char s[8];

	(void)state;
	link_opts_default(&o);
	assert_int_equal(o.baud, 115200);
	assert_int_equal(link_opts_parse_mode(&o, "8e1", &e), ST_OK);
	assert_string_equal(link_opts_mode_str(&o, s, sizeof(s)), "8E1");
	assert_int_equal(link_opts_parse_mode(&o, "7O2", &e), ST_OK);
	assert_int_equal(o.data_bits, 7);
	assert_int_equal(o.parity, 'O');
	assert_int_equal(o.stop_bits, 2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(link_opts_parse_mode(&o, bad[i], &e), ST_ERR_ARG);
	assert_non_null(strstr(e.msg, "'N81'"));
}

/* --- tcp ------------------------------------------------------------------ */

static int listen_local(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_tcp_link(void **state)
{
	struct st_error e;
	struct link *l;
	struct link_opts o;
	char name[64], buf[16];
	int lfd, srv, port;

	(void)state;
	lfd = listen_local(&port);
	snprintf(name, sizeof(name), "tcp:127.0.0.1:%d", port);
	assert_int_equal(link_open(&l, name, NULL, &e), ST_OK);
	assert_string_equal(l->ops->name, "tcp");
	srv = accept(lfd, NULL, NULL);
	assert_true(srv >= 0);

	assert_int_equal(link_write(l, "get lid\n", 8, 2000, &e), ST_OK);
	assert_int_equal(recv(srv, buf, 8, MSG_WAITALL), 8);
	assert_memory_equal(buf, "get lid\n", 8);
	assert_int_equal(send(srv, "OK 1\n", 5, 0), 5);
	assert_int_equal(link_read_exact(l, buf, 5, 2000, &e), ST_OK);
	assert_memory_equal(buf, "OK 1\n", 5);
	assert_int_equal(l->bytes_in, 5);
	assert_int_equal(l->bytes_out, 8);

	/* line settings belong to the device server: kept, not an error */
	link_opts_default(&o);
	o.parity = 'E';
	assert_int_equal(link_set_opts(l, &o, &e), ST_OK);

	assert_int_equal(link_read_exact(l, buf, 1, 50, &e), ST_ERR_TIMEOUT);
	close(srv);
	assert_int_equal(link_read_some(l, buf, 1, 2000, &e), ST_ERR_CLOSED);
	link_close(l);

	/* nobody listening any more */
	close(lfd);
	assert_int_equal(link_open(&l, name, NULL, &e), ST_ERR_IO);
	assert_non_null(strstr(e.msg, "cannot connect"));
}

static void test_tcp_names(void **state)
{
	struct st_error e;
	struct link *l;
	char name[64];
	int lfd, port;

	(void)state;
	assert_int_equal(link_open(&l, "tcp:nohostport", NULL, &e), ST_ERR_ARG);
	assert_non_null(strstr(e.msg, "tcp:HOST:PORT"));
	assert_int_equal(link_open(&l, "tcp::3000", NULL, &e), ST_ERR_ARG);
	assert_int_equal(link_open(&l, "tcp:[::1]3000", NULL, &e), ST_ERR_ARG);

	lfd = listen_local(&port);
	snprintf(name, sizeof(name), "tcp:localhost:%d", port);
	/* localhost may resolve to ::1 first; the IPv4 listener must still answer */
	assert_int_equal(link_open(&l, name, NULL, &e), ST_OK);
	link_close(l);
	close(lfd);
}

/* A pty has no serial driver settings: nothing to turn on, nothing breaks. */
static void test_pty_no_low_latency(void **state)
{
	struct pty *p = *state;

	assert_int_equal(link_tty_low_latency_on(p->master), ST_ERR_NOTSUP);
	link_tty_low_latency_off(p->master);
	assert_int_equal(link_write(p->l, "x", 1, 100, NULL), ST_OK);
}

static bool low_latency(int fd)
{
	struct serial_struct ss;

	assert_int_equal(ioctl(fd, TIOCGSERIAL, &ss), 0);
	return (ss.flags & ASYNC_LOW_LATENCY) != 0;
}

/*
 * A real UART driver (the 8250's /dev/ttyS0, where the machine has one):
 * opening it through the link turns low latency on, closing turns it back
 * off; a port that had it on keeps it.  The port's own settings are put
 * back afterwards.  Skipped, saying so, where there is no such port.
 */
static void test_uart_low_latency(void **state)
{
	const char *dev = "/dev/ttyS0";
	struct serial_struct ss0, ss;
	struct termios t0;
	struct st_error e;
	struct link *l;
	int fd;

	(void)state;
	fd = open(dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, TIOCGSERIAL, &ss0) < 0 || tcgetattr(fd, &t0) < 0) {
		print_message("skipped: no UART at %s to test low latency on\n", dev);
		if (fd >= 0)
			close(fd);
		skip();
	}
	ss = ss0;
	ss.flags &= ~ASYNC_LOW_LATENCY;
	assert_int_equal(ioctl(fd, TIOCSSERIAL, &ss), 0);

	assert_int_equal(link_open(&l, dev, NULL, &e), ST_OK);
	assert_true(low_latency(fd));
	link_close(l);
	assert_false(low_latency(fd));

	ss.flags |= ASYNC_LOW_LATENCY;	/* someone set it on purpose: it stays */
	assert_int_equal(ioctl(fd, TIOCSSERIAL, &ss), 0);
	assert_int_equal(link_tty_low_latency_on(fd), 0);
	assert_int_equal(link_open(&l, dev, NULL, &e), ST_OK);
	link_close(l);
	assert_true(low_latency(fd));

	ioctl(fd, TIOCSSERIAL, &ss0);
	tcsetattr(fd, TCSANOW, &t0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pty_uses_termios, pty_setup, pty_teardown),
		cmocka_unit_test_setup_teardown(test_pty_read_write_counters, pty_setup, pty_teardown),
		cmocka_unit_test_setup_teardown(test_pty_read_exact_timeout, pty_setup, pty_teardown),
		cmocka_unit_test_setup_teardown(test_pty_flush_and_pushback, pty_setup, pty_teardown),
		cmocka_unit_test_setup_teardown(test_pty_pushback_bounded, pty_setup, pty_teardown),
		cmocka_unit_test_setup_teardown(test_pty_set_opts_parity, pty_setup, pty_teardown),
		cmocka_unit_test_setup_teardown(test_pty_closed_peer, pty_setup, pty_teardown),
		cmocka_unit_test_setup_teardown(test_pty_no_low_latency, pty_setup, pty_teardown),
		cmocka_unit_test(test_uart_low_latency),
		cmocka_unit_test(test_open_missing_port),
		cmocka_unit_test(test_parse_mode),
		cmocka_unit_test(test_tcp_link),
		cmocka_unit_test(test_tcp_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
