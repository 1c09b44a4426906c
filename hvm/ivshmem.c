// SPDX-License-Identifier: MIT
/* ivshmem.c - serves QEMU's ivshmem-doorbell device: memory fd and eventfds. */
#include "ivshmem.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* One protocol message: a little-endian int64, maybe with one fd. */
static int send_msg(int sock, int64_t value, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &value, .iov_len = sizeof(value) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(value) ? 0 : -EIO;
}

int ivshmem_init(struct ivshmem *s, const char *path, int shm_fd,
		 unsigned int vectors)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned int i;
	int err;

	memset(s, 0, sizeof(*s));
	s->listen_fd = s->client_fd = -1;
	for (i = 0; i < HVM_NR_VECTORS; i++)
		s->host_efd[i] = s->guest_efd[i] = -1;
	if (vectors == 0 || vectors > HVM_NR_VECTORS)
		return -EINVAL;
	s->shm_fd = shm_fd;
	s->vectors = vectors;
	for (i = 0; i < vectors; i++) {
		s->host_efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		s->guest_efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->host_efd[i] < 0 || s->guest_efd[i] < 0)
			goto err;
	}
	if (!path)
		return 0; /* greet-only use (unit tests over a socketpair) */
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		goto err;
	}
	strcpy(sa.sun_path, path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		goto err;
	if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s->listen_fd, 1) < 0)
		goto err;
	return 0;
err:
	err = -errno;
	ivshmem_destroy(s);
	return err;
}

int ivshmem_greet(struct ivshmem *s, int fd)
{
	unsigned int i;
	int err;

	if ((err = send_msg(fd, 0, -1)) ||		/* version */
	    (err = send_msg(fd, HVM_PEER_GUEST, -1)) || /* its id */
	    (err = send_msg(fd, -1, s->shm_fd)))	/* memory */
		return err;
	for (i = 0; i < s->vectors; i++) /* peer 0 */
		if ((err = send_msg(fd, HVM_PEER_HOST, s->host_efd[i])))
			return err;
	for (i = 0; i < s->vectors; i++) /* its own */
		if ((err = send_msg(fd, HVM_PEER_GUEST, s->guest_efd[i])))
			return err;
	return 0;
}

int ivshmem_accept(struct ivshmem *s)
{
	int fd, err;

	fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = ivshmem_greet(s, fd);
	if (err) {
		close(fd);
		return err;
	}
	if (s->client_fd >= 0)
		close(s->client_fd);
	s->client_fd = fd;
	return 0;
}

int ivshmem_notify_guest(struct ivshmem *s, unsigned int vector)
{
	uint64_t one = 1;

	if (vector >= s->vectors)
		return -EINVAL;
	if (write(s->guest_efd[vector], &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

int64_t ivshmem_drain(struct ivshmem *s, unsigned int vector)
{
	uint64_t v;

	if (vector >= s->vectors)
		return -EINVAL;
	if (read(s->host_efd[vector], &v, sizeof(v)) != sizeof(v))
		return errno == EAGAIN ? 0 : -errno;
	return (int64_t)v;
}

void ivshmem_destroy(struct ivshmem *s)
{
	unsigned int i;

	for (i = 0; i < HVM_NR_VECTORS; i++) {
		if (s->host_efd[i] >= 0)
			close(s->host_efd[i]);
		if (s->guest_efd[i] >= 0)
			close(s->guest_efd[i]);
		s->host_efd[i] = s->guest_efd[i] = -1;
	}
	if (s->client_fd >= 0)
		close(s->client_fd);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->client_fd = s->listen_fd = -1;
}
