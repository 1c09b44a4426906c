// SPDX-License-Identifier: MIT
/* test_input.c - stdin relay (streamed, EOF as shutdown), status, QEMU. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "input.h"
#include "qemu.h"
#include "status.h"

/*
 * 1 MiB through a pipe into a socket with a small buffer: the relay never
 * blocks, everything arrives in order, and the reader sees EOF at the end.
 */
UNIT_TEST(input_relays_stream_then_eof)
{
	static struct input in;
	static char data[1 << 20], got[(1 << 20) + 1];
	int pfd[2], sv[2], sz = 4096;
	size_t sent = 0, recvd = 0, i;
	bool eof = false;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 251);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	fcntl(pfd[1], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	input_init(&in, pfd[0], sv[0]);
	while (!eof) {
		struct pollfd p[2];
		ssize_t n;

		if (sent < sizeof(data)) {
			n = write(pfd[1], data + sent, sizeof(data) - sent);
			if (n > 0)
				sent += (size_t)n;
			if (sent == sizeof(data))
				close(pfd[1]);
		}
		input_pollfds(&in, &p[0], &p[1]);
		/* Never both: a pending buffer stops reading the source. */
		assert_true(p[0].fd < 0 || p[1].fd < 0);
		assert_int_equal(poll(p, 2, 10) >= 0, 1);
		assert_int_equal(input_pump(&in, p[0].revents, p[1].revents),
				 0);
		n = read(sv[1], got + recvd, sizeof(got) - recvd);
		if (n > 0)
			recvd += (size_t)n;
		else if (n == 0)
			eof = true;
		else
			assert_int_equal(errno, EAGAIN);
	}
	assert_true(in.done);
	assert_int_equal(recvd, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	close(pfd[0]);
	close(sv[0]);
	close(sv[1]);
}

/* Empty input: EOF at once; a vanished reader ends the relay. */
UNIT_TEST(input_empty_and_broken)
{
	static struct input in;
	struct pollfd p[2];
	int pfd[2], sv[2];
	char c;

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(pfd[1]);
	input_init(&in, pfd[0], sv[0]);
	input_pollfds(&in, &p[0], &p[1]);
	assert_int_equal(poll(p, 2, 1000), 1);
	assert_int_equal(input_pump(&in, p[0].revents, p[1].revents), 0);
	assert_true(in.done);
	assert_int_equal(read(sv[1], &c, 1), 0);
	close(pfd[0]);
	close(sv[0]);
	close(sv[1]);

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(write(pfd[1], "x", 1), 1);
	input_init(&in, pfd[0], sv[0]);
	input_pollfds(&in, &p[0], &p[1]);
	assert_int_equal(poll(p, 2, 1000), 1);
	assert_int_equal(input_pump(&in, p[0].revents, p[1].revents), -EPIPE);
	assert_true(in.done);
	input_pollfds(&in, &p[0], &p[1]);
	assert_int_equal(p[0].fd, -1);
	assert_int_equal(p[1].fd, -1);
	close(pfd[0]);
	close(pfd[1]);
	close(sv[0]);
}

UNIT_TEST(status_line_draws_and_clears)
{
	struct status s;
	char buf[128], *text = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(status_format(buf, sizeof(buf), "ROS booting", 12345),
			 strlen("hvm-run: ROS booting ... 12.3 s"));
	assert_string_equal(buf, "hvm-run: ROS booting ... 12.3 s");
	f = open_memstream(&text, &len);
	assert_non_null(f);
	status_init(&s, f, false, 0);
	status_stage(&s, "starting QEMU", 100);
	status_clear(&s);
	fflush(f);
	assert_int_equal(len, 0); /* off: nothing at all */
	status_init(&s, f, true, 1000);
	status_stage(&s, "starting QEMU", 1200);
	status_tick(&s, 1250); /* too soon to redraw */
	status_stage(&s, "HRT ready", 3000);
	status_clear(&s);
	status_clear(&s); /* once only */
	fclose(f);
	assert_string_equal(text, "\rhvm-run: starting QEMU ... 0.2 s\033[K"
				  "\rhvm-run: HRT ready ... 2.0 s\033[K"
				  "\r\033[K");
	assert_null(strchr(text, '\n'));
	free(text);
}

/* A failing "QEMU": its end and its own last stderr lines are kept. */
UNIT_TEST(qemu_failure_keeps_stderr_tail)
{
	char *argv[] = { "/bin/sh", "-c",
			 "for i in 1 2 3 4 5; do echo line$i >&2; done; exit 3",
			 NULL };
	struct qemu q;
	char how[96], *text = NULL;
	size_t len = 0;
	FILE *f;

	qemu_init(&q);
	assert_int_equal(qemu_start(&q, argv), 0);
	assert_true(qemu_wait(&q, 10000));
	qemu_describe_end(&q, how, sizeof(how));
	assert_string_equal(how, "exit status 3");
	f = open_memstream(&text, &len);
	assert_int_equal(qemu_print_err(&q, 2, f, "  | "), 2);
	fclose(f);
	assert_string_equal(text, "  | line4\n  | line5\n");
	free(text);
	qemu_kill(&q);
	assert_int_equal(q.err_fd, -1);
}
