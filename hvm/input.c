// SPDX-License-Identifier: MIT
/* input.c - relays hvm-run's stdin to the guest's stdin port, EOF included. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void input_init(struct input *in, int src, int dst)
{
	memset(in, 0, sizeof(*in));
	in->src = src;
	in->dst = dst;
	fcntl(dst, F_SETFL, fcntl(dst, F_GETFL) | O_NONBLOCK);
}

void input_pollfds(const struct input *in, struct pollfd *src_p,
		   struct pollfd *dst_p)
{
	*src_p = (struct pollfd){ .fd = -1, .events = POLLIN };
	*dst_p = (struct pollfd){ .fd = -1, .events = POLLOUT };
	if (in->done)
		return;
	if (in->len)
		dst_p->fd = in->dst;
	else if (!in->src_eof)
		src_p->fd = in->src;
}

/* Writes what is pending; at the end of input, shuts (dst) down. */
static int flush(struct input *in)
{
	ssize_t n;

	while (in->len) {
		n = send(in->dst, in->buf + in->off, in->len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n < 0) {
			in->done = true;
			return -errno;
		}
		in->off += (size_t)n;
		in->len -= (size_t)n;
	}
	in->off = 0;
	if (in->src_eof && !in->done) {
		/*
		 * Only the writing half: a full close would be a hang-up,
		 * and QEMU could drop the port before the guest read it all.
		 */
		shutdown(in->dst, SHUT_WR);
		in->done = true;
	}
	return 0;
}

int input_pump(struct input *in, short src_rev, short dst_rev)
{
	ssize_t n;

	if (in->done)
		return 0;
	if (!in->len && !in->src_eof &&
	    (src_rev & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
		n = read(in->src, in->buf, sizeof(in->buf));
		if (n > 0)
			in->len = (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			in->src_eof = true;
	}
	if (dst_rev & (POLLERR | POLLHUP) && !(dst_rev & POLLOUT)) {
		in->done = true;
		return -EPIPE;
	}
	return flush(in);
}
