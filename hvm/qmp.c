// SPDX-License-Identifier: MIT
/* qmp.c - talks QMP (JSON lines over a unix socket) with json-c. */
#include "qmp.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

/* Reads one '\n'-terminated JSON message into a new string, or NULL. */
static char *qmp_line(struct qmp *q, int timeout_ms, int *err)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		long long left;
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - q->buf);
			char *line = strndup(q->buf, l);

			memmove(q->buf, nl + 1, q->len - l - 1);
			q->len -= l + 1;
			if (!line)
				*err = -ENOMEM;
			return line;
		}
		if (q->len + 4096 > q->cap) {
			size_t cap = q->cap ? q->cap * 2 : 8192;
			char *nb = cap > (1u << 24) ? NULL
						    : realloc(q->buf, cap);

			if (!nb) {
				*err = -ENOMEM;
				return NULL;
			}
			q->buf = nb;
			q->cap = cap;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			*err = -ETIMEDOUT;
			return NULL;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			*err = -errno;
			return NULL;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(q->fd, q->buf + q->len, q->cap - q->len);
		if (n <= 0) {
			*err = n == 0 ? -ECONNRESET : -errno;
			return NULL;
		}
		q->len += (size_t)n;
	}
}

/* Sends (cmd) and returns the parsed "return" reply, skipping events. */
static struct json_object *qmp_call(struct qmp *q, const char *cmd,
				    int timeout_ms, int *err)
{
	size_t len = strlen(cmd);
	char *line;

	if (write(q->fd, cmd, len) != (ssize_t)len) {
		*err = -EIO;
		return NULL;
	}
	while ((line = qmp_line(q, timeout_ms, err))) {
		struct json_object *o = json_tokener_parse(line), *r;

		free(line);
		if (!o)
			continue;
		if (json_object_object_get_ex(o, "return", &r)) {
			json_object_get(r);
			json_object_put(o);
			return r;
		}
		if (json_object_object_get_ex(o, "error", &r)) {
			json_object_put(o);
			*err = -EPROTO;
			return NULL;
		}
		json_object_put(o); /* an asynchronous event: skip */
	}
	return NULL;
}

int qmp_open(struct qmp *q, int fd, int timeout_ms)
{
	struct json_object *o;
	char *greeting;
	int err = 0;

	memset(q, 0, sizeof(*q));
	q->fd = fd;
	greeting = qmp_line(q, timeout_ms, &err);
	if (!greeting)
		return err;
	o = json_tokener_parse(greeting);
	free(greeting);
	if (!o || !json_object_object_get_ex(o, "QMP", NULL)) {
		json_object_put(o);
		return -EPROTO;
	}
	json_object_put(o);
	o = qmp_call(q, "{\"execute\":\"qmp_capabilities\"}\n", timeout_ms,
		     &err);
	if (!o)
		return err;
	json_object_put(o);
	return 0;
}

static int cpus_from(struct json_object *arr, pid_t *tids, int max)
{
	size_t i, n;
	int count = 0;

	if (!json_object_is_type(arr, json_type_array))
		return -EPROTO;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(arr, i), *idx,
				   *tid;
		int64_t ci;

		if (!json_object_object_get_ex(c, "cpu-index", &idx) ||
		    !json_object_object_get_ex(c, "thread-id", &tid))
			return -EPROTO;
		ci = json_object_get_int64(idx);
		if (ci < 0 || ci >= max)
			return -EINVAL;
		tids[ci] = (pid_t)json_object_get_int64(tid);
		if (ci + 1 > count)
			count = (int)ci + 1;
	}
	return count;
}

int qmp_parse_cpus(const char *line, pid_t *tids, int max)
{
	struct json_object *o = json_tokener_parse(line), *r;
	int n;

	if (!o)
		return -EPROTO;
	if (!json_object_object_get_ex(o, "return", &r)) {
		json_object_put(o);
		return -EPROTO;
	}
	n = cpus_from(r, tids, max);
	json_object_put(o);
	return n;
}

int qmp_vcpu_threads(struct qmp *q, pid_t *tids, int max, int timeout_ms)
{
	struct json_object *r;
	int err = 0, n;

	r = qmp_call(q, "{\"execute\":\"query-cpus-fast\"}\n", timeout_ms,
		     &err);
	if (!r)
		return err;
	n = cpus_from(r, tids, max);
	json_object_put(r);
	return n;
}

int qmp_quit(struct qmp *q)
{
	static const char cmd[] = "{\"execute\":\"quit\"}\n";

	if (q->fd < 0)
		return -ENOTCONN;
	return write(q->fd, cmd, sizeof(cmd) - 1) == sizeof(cmd) - 1 ? 0 : -EIO;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	memset(q, 0, sizeof(*q));
	q->fd = -1;
}
