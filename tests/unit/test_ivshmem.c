// SPDX-License-Identifier: MIT
/* test_ivshmem.c - the ivshmem server protocol, doorbells and interrupts. */
#include "unit.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hvm_abi.h"
#include "ivshmem.h"

#define SHM_SIZE (1u << 20)

/* What a client receives: the int64 and the fd passed along, or -1. */
struct msg {
	int64_t value;
	int fd;
};

static struct msg recv_one(int sock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msg m = { .value = 0x5a5a, .fd = -1 };
	struct iovec iov = { .iov_base = &m.value, .iov_len = sizeof(m.value) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	assert_int_equal(n, sizeof(m.value));
	assert_int_equal(mh.msg_flags & MSG_CTRUNC, 0);
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		assert_int_equal(c->cmsg_level, SOL_SOCKET);
		assert_int_equal(c->cmsg_type, SCM_RIGHTS);
		assert_int_equal(c->cmsg_len, CMSG_LEN(sizeof(int)));
		assert_int_equal(m.fd, -1); /* at most one fd per message */
		memcpy(&m.fd, CMSG_DATA(c), sizeof(int));
	}
	return m;
}

/* The client side of a connection after the greeting. */
struct client {
	int shm;
	int host[HVM_NR_VECTORS];  /* peer 0's vectors: ring the host */
	int guest[HVM_NR_VECTORS]; /* own vectors: the guest's interrupts */
};

/* Reads and checks the whole greeting of a (vectors)-vector server. */
static void read_greeting(int sock, unsigned int vectors, struct client *cl)
{
	struct msg m;
	struct stat st;
	unsigned int i;

	m = recv_one(sock);
	assert_int_equal(m.value, 0); /* protocol version */
	assert_int_equal(m.fd, -1);
	m = recv_one(sock);
	assert_int_equal(m.value, HVM_PEER_GUEST); /* our id */
	assert_int_equal(m.fd, -1);
	m = recv_one(sock);
	assert_int_equal(m.value, -1); /* the shared memory */
	assert_true(m.fd >= 0);
	assert_int_equal(fstat(m.fd, &st), 0);
	assert_int_equal(st.st_size, SHM_SIZE);
	cl->shm = m.fd;
	for (i = 0; i < vectors; i++) {
		m = recv_one(sock);
		assert_int_equal(m.value, HVM_PEER_HOST);
		assert_true(m.fd >= 0);
		cl->host[i] = m.fd;
	}
	for (i = 0; i < vectors; i++) {
		m = recv_one(sock);
		assert_int_equal(m.value, HVM_PEER_GUEST);
		assert_true(m.fd >= 0);
		cl->guest[i] = m.fd;
	}
}

static void client_close(struct client *cl, unsigned int vectors)
{
	unsigned int i;

	close(cl->shm);
	for (i = 0; i < vectors; i++) {
		close(cl->host[i]);
		close(cl->guest[i]);
	}
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static int make_shm(void)
{
	int fd = memfd_create("test-ivshmem", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SHM_SIZE), 0);
	return fd;
}

UNIT_TEST(ivshmem_greet_sequence_and_doorbells)
{
	struct ivshmem s;
	struct client cl;
	uint64_t v;
	int sv[2], shm = make_shm();
	unsigned int i;
	char byte;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_int_equal(ivshmem_init(&s, NULL, shm, HVM_NR_VECTORS), 0);
	assert_int_equal(s.listen_fd, -1);
	assert_int_equal(ivshmem_greet(&s, sv[0]), 0);
	read_greeting(sv[1], HVM_NR_VECTORS, &cl);
	/* Nothing more follows the greeting. */
	assert_int_equal(recv(sv[1], &byte, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);

	/* The memory fd maps the same pages as the server's memfd. */
	{
		char *a = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE,
			       MAP_SHARED, shm, 0);
		char *b =
			mmap(NULL, SHM_SIZE, PROT_READ, MAP_SHARED, cl.shm, 0);

		assert_true(a != MAP_FAILED && b != MAP_FAILED);
		strcpy(a + 4096, "shared");
		assert_string_equal(b + 4096, "shared");
		munmap(a, SHM_SIZE);
		munmap(b, SHM_SIZE);
	}

	for (i = 0; i < HVM_NR_VECTORS; i++) {
		/* Guest -> host: ring peer 0's vector i. */
		assert_int_equal(ivshmem_drain(&s, i), 0);
		v = 1;
		assert_int_equal(write(cl.host[i], &v, sizeof(v)), sizeof(v));
		assert_int_equal(ivshmem_drain(&s, i), 1);
		assert_int_equal(ivshmem_drain(&s, i), 0);

		/* Host -> guest: only vector i's eventfd fires. */
		assert_false(readable(cl.guest[i]));
		assert_int_equal(ivshmem_notify_guest(&s, i), 0);
		assert_true(readable(cl.guest[i]));
		if (i + 1 < HVM_NR_VECTORS)
			assert_false(readable(cl.guest[i + 1]));
		assert_int_equal(read(cl.guest[i], &v, sizeof(v)), sizeof(v));
		assert_int_equal(v, 1);
	}
	/* Counts accumulate until drained. */
	v = 3;
	assert_int_equal(write(cl.host[HVM_VEC_HRT_STATE], &v, sizeof(v)),
			 sizeof(v));
	v = 2;
	assert_int_equal(write(cl.host[HVM_VEC_HRT_STATE], &v, sizeof(v)),
			 sizeof(v));
	assert_int_equal(ivshmem_drain(&s, HVM_VEC_HRT_STATE), 5);

	assert_int_equal(ivshmem_notify_guest(&s, HVM_NR_VECTORS), -EINVAL);
	assert_int_equal(ivshmem_notify_guest(&s, 1000), -EINVAL);
	assert_int_equal(ivshmem_drain(&s, HVM_NR_VECTORS), -EINVAL);

	client_close(&cl, HVM_NR_VECTORS);
	ivshmem_destroy(&s);
	for (i = 0; i < HVM_NR_VECTORS; i++) {
		assert_int_equal(s.host_efd[i], -1);
		assert_int_equal(s.guest_efd[i], -1);
	}
	close(sv[0]);
	close(sv[1]);
	close(shm);
}

UNIT_TEST(ivshmem_fewer_vectors)
{
	struct ivshmem s;
	struct client cl;
	int sv[2], shm = make_shm();
	char byte;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_int_equal(ivshmem_init(&s, NULL, shm, 2), 0);
	assert_int_equal(s.host_efd[2], -1);
	assert_int_equal(ivshmem_greet(&s, sv[0]), 0);
	read_greeting(sv[1], 2, &cl);
	assert_int_equal(recv(sv[1], &byte, 1, MSG_DONTWAIT), -1);
	assert_int_equal(ivshmem_notify_guest(&s, 2), -EINVAL);
	assert_int_equal(ivshmem_drain(&s, 2), -EINVAL);
	client_close(&cl, 2);
	ivshmem_destroy(&s);
	close(sv[0]);
	close(sv[1]);
	close(shm);
}

UNIT_TEST(ivshmem_init_rejects_bad_vectors)
{
	struct ivshmem s;

	assert_int_equal(ivshmem_init(&s, NULL, 0, 0), -EINVAL);
	assert_int_equal(ivshmem_init(&s, NULL, 0, HVM_NR_VECTORS + 1),
			 -EINVAL);
	ivshmem_destroy(&s); /* harmless after a failed init */
}

UNIT_TEST(ivshmem_greet_to_closed_peer_fails)
{
	struct ivshmem s;
	int sv[2], shm = make_shm();

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	close(sv[1]);
	assert_int_equal(ivshmem_init(&s, NULL, shm, HVM_NR_VECTORS), 0);
	assert_int_equal(ivshmem_greet(&s, sv[0]), -EPIPE);
	ivshmem_destroy(&s);
	close(sv[0]);
	close(shm);
}

UNIT_TEST(ivshmem_listen_accept_over_path)
{
	char dir[] = "/tmp/hvm-unit-ivs-XXXXXX";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[sizeof(sa.sun_path)];
	struct ivshmem s;
	struct client cl;
	int c, shm = make_shm();
	uint64_t v = 1;
	char longpath[200];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ivshmem.sock", dir);
	assert_int_equal(ivshmem_init(&s, path, shm, HVM_NR_VECTORS), 0);
	assert_true(s.listen_fd >= 0);
	assert_int_equal(s.client_fd, -1);

	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(ivshmem_accept(&s), 0);
	assert_true(s.client_fd >= 0);
	read_greeting(c, HVM_NR_VECTORS, &cl);
	assert_int_equal(write(cl.host[HVM_VEC_GUEST_STAGE], &v, sizeof(v)),
			 sizeof(v));
	assert_int_equal(ivshmem_drain(&s, HVM_VEC_GUEST_STAGE), 1);
	client_close(&cl, HVM_NR_VECTORS);
	close(c);
	ivshmem_destroy(&s);
	assert_int_equal(s.listen_fd, -1);
	assert_int_equal(s.client_fd, -1);

	/* A second server on the same path fails while the file exists. */
	assert_true(ivshmem_init(&s, path, shm, HVM_NR_VECTORS) < 0);
	assert_int_equal(unlink(path), 0);

	/* A path too long for sockaddr_un. */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(ivshmem_init(&s, longpath, shm, HVM_NR_VECTORS),
			 -ENAMETOOLONG);
	assert_int_equal(s.host_efd[0], -1);

	assert_int_equal(rmdir(dir), 0);
	close(shm);
}
