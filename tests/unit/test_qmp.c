// SPDX-License-Identifier: MIT
/* test_qmp.c - the QMP client: query-cpus-fast parsing and a fake server. */
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qmp.h"

static const char cpus_reply[] =
	"{\"return\": [{\"thread-id\": 1234, \"props\": {\"core-id\": 0, "
	"\"thread-id\": 0, \"node-id\": 0, \"socket-id\": 0}, "
	"\"qom-path\": \"/machine/unattached/device[0]\", \"cpu-index\": 0, "
	"\"target\": \"x86_64\"}, {\"thread-id\": 1235, \"props\": {\"core-id\": 1, "
	"\"thread-id\": 0, \"node-id\": 0, \"socket-id\": 0}, "
	"\"qom-path\": \"/machine/unattached/device[1]\", \"cpu-index\": 1, "
	"\"target\": \"x86_64\"}]}";

UNIT_TEST(qmp_parse_cpus_realistic_reply)
{
	pid_t tids[8] = { 0 };

	assert_int_equal(qmp_parse_cpus(cpus_reply, tids, 8), 2);
	assert_int_equal(tids[0], 1234);
	assert_int_equal(tids[1], 1235);
	assert_int_equal(tids[2], 0);
	/* Exactly enough room. */
	assert_int_equal(qmp_parse_cpus(cpus_reply, tids, 2), 2);
}

UNIT_TEST(qmp_parse_cpus_indexes_by_cpu_index)
{
	pid_t tids[4] = { 0 };
	const char *line =
		"{\"return\": [{\"cpu-index\": 2, \"thread-id\": 30}, "
		"{\"cpu-index\": 0, \"thread-id\": 10}, "
		"{\"cpu-index\": 1, \"thread-id\": 20}]}";

	assert_int_equal(qmp_parse_cpus(line, tids, 4), 3);
	assert_int_equal(tids[0], 10);
	assert_int_equal(tids[1], 20);
	assert_int_equal(tids[2], 30);
	assert_int_equal(qmp_parse_cpus("{\"return\": []}", tids, 4), 0);
}

UNIT_TEST(qmp_parse_cpus_errors)
{
	pid_t tids[2];

	assert_int_equal(qmp_parse_cpus("{\"return\": [", tids, 2), -EPROTO);
	assert_int_equal(qmp_parse_cpus("not json at all", tids, 2), -EPROTO);
	assert_int_equal(qmp_parse_cpus("", tids, 2), -EPROTO);
	assert_int_equal(
		qmp_parse_cpus("{\"error\": {\"class\": \"GenericError\"}}",
			       tids, 2),
		-EPROTO);
	assert_int_equal(qmp_parse_cpus("{\"return\": {}}", tids, 2), -EPROTO);
	assert_int_equal(qmp_parse_cpus("{\"return\": [{\"cpu-index\": 0}]}",
					tids, 2),
			 -EPROTO);
	assert_int_equal(qmp_parse_cpus("{\"return\": [{\"thread-id\": 5}]}",
					tids, 2),
			 -EPROTO);
	/* A CPU index beyond the caller's array. */
	assert_int_equal(qmp_parse_cpus(cpus_reply, tids, 1), -EINVAL);
	assert_int_equal(qmp_parse_cpus("{\"return\": [{\"cpu-index\": -1, "
					"\"thread-id\": 5}]}",
					tids, 2),
			 -EINVAL);
}

/* ------------------------------------------------------- fake server */

struct fake {
	int fd;
	int bad_greeting; /* send something that is not a QMP greeting */
	int error_reply;  /* answer query-cpus-fast with an error */
	char got[3][128]; /* commands received, in order */
	int ngot;
	int fail; /* set when the client sent something unexpected */
};

static int send_str(int fd, const char *s)
{
	size_t len = strlen(s);

	return write(fd, s, len) == (ssize_t)len ? 0 : -1;
}

/* Reads one '\n'-terminated line, byte by byte (slow but simple). */
static int recv_line(int fd, char *buf, size_t len)
{
	size_t n = 0;
	char c;

	while (n + 1 < len) {
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

static void *fake_server(void *arg)
{
	struct fake *f = arg;
	char line[128];

	if (f->bad_greeting) {
		send_str(f->fd, "{\"hello\": 1}\n");
		return NULL;
	}
	/* Greeting split across writes to exercise buffering. */
	if (send_str(f->fd,
		     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, ") ||
	    send_str(f->fd, "\"minor\": 2, \"major\": 8}, \"package\": \"\"}, "
			    "\"capabilities\": [\"oob\"]}}\n"))
		goto fail;
	while (f->ngot < 3 && !recv_line(f->fd, line, sizeof(line))) {
		snprintf(f->got[f->ngot++], sizeof(f->got[0]), "%s", line);
		if (strstr(line, "qmp_capabilities")) {
			if (send_str(f->fd, "{\"return\": {}}\n"))
				goto fail;
		} else if (strstr(line, "query-cpus-fast")) {
			/* An event first: the client must skip it. */
			if (send_str(
				    f->fd,
				    "{\"timestamp\": {\"seconds\": 1, "
				    "\"microseconds\": 2}, \"event\": "
				    "\"RTC_CHANGE\", \"data\": {\"offset\": 0}}\n"))
				goto fail;
			if (f->error_reply) {
				if (send_str(f->fd,
					     "{\"error\": {\"class\": \"CommandNotFound\", "
					     "\"desc\": \"no\"}}\n"))
					goto fail;
			} else if (send_str(f->fd, cpus_reply) ||
				   send_str(f->fd, "\n")) {
				goto fail;
			}
		} else if (strstr(line, "\"quit\"")) {
			return NULL;
		} else {
			goto fail;
		}
	}
	return NULL;
fail:
	f->fail = 1;
	return NULL;
}

static void start(struct fake *f, pthread_t *th, int *client)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	f->fd = sv[1];
	*client = sv[0];
	assert_int_equal(pthread_create(th, NULL, fake_server, f), 0);
}

UNIT_TEST(qmp_session_against_fake_server)
{
	struct fake f = { 0 };
	struct qmp q;
	pthread_t th;
	pid_t tids[4] = { 0 };
	int fd;

	start(&f, &th, &fd);
	assert_int_equal(qmp_open(&q, fd, 5000), 0);
	assert_int_equal(q.fd, fd);
	assert_int_equal(qmp_vcpu_threads(&q, tids, 4, 5000), 2);
	assert_int_equal(tids[0], 1234);
	assert_int_equal(tids[1], 1235);
	assert_int_equal(qmp_quit(&q), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(f.fail, 0);
	assert_int_equal(f.ngot, 3);
	assert_non_null(strstr(f.got[0], "\"qmp_capabilities\""));
	assert_non_null(strstr(f.got[1], "\"query-cpus-fast\""));
	assert_non_null(strstr(f.got[2], "\"quit\""));
	qmp_close(&q);
	assert_int_equal(q.fd, -1);
	assert_null(q.buf);
	close(f.fd);
	assert_int_equal(qmp_quit(&q), -ENOTCONN);
}

UNIT_TEST(qmp_error_reply_is_eproto)
{
	struct fake f = { .error_reply = 1 };
	struct qmp q;
	pthread_t th;
	pid_t tids[4];
	int fd;

	start(&f, &th, &fd);
	assert_int_equal(qmp_open(&q, fd, 5000), 0);
	assert_int_equal(qmp_vcpu_threads(&q, tids, 4, 5000), -EPROTO);
	assert_int_equal(qmp_quit(&q), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(f.fail, 0);
	qmp_close(&q);
	close(f.fd);
}

UNIT_TEST(qmp_open_rejects_bad_greeting)
{
	struct fake f = { .bad_greeting = 1 };
	struct qmp q;
	pthread_t th;
	int fd;

	start(&f, &th, &fd);
	assert_int_equal(qmp_open(&q, fd, 5000), -EPROTO);
	assert_int_equal(pthread_join(th, NULL), 0);
	qmp_close(&q);
	close(f.fd);
}

UNIT_TEST(qmp_open_times_out_and_sees_hangup)
{
	struct qmp q;
	int sv[2];

	/* A silent server: the greeting never comes. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_int_equal(qmp_open(&q, sv[0], 50), -ETIMEDOUT);
	qmp_close(&q);
	/* The server goes away without a word. */
	close(sv[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	close(sv[1]);
	assert_int_equal(qmp_open(&q, sv[0], 1000), -ECONNRESET);
	qmp_close(&q);
}
