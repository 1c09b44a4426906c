/* SPDX-License-Identifier: MIT */
/* ivshmem.h - the server side of QEMU's ivshmem client-server protocol. */
#ifndef HVM_IVSHMEM_H
#define HVM_IVSHMEM_H

#include <stdint.h>

#include "hvm_abi.h"

/*
 * hvm-run is a peer of its own (HVM_PEER_HOST) with one eventfd per vector
 * that the guest rings; the guest (HVM_PEER_GUEST) gets its own eventfds,
 * which hvm-run writes to raise the guest's MSI-X vectors.
 */
struct ivshmem {
	int listen_fd;
	int client_fd; /* the QEMU connection, -1 before accept */
	int shm_fd;
	unsigned int vectors;
	int host_efd[HVM_NR_VECTORS];  /* guest -> host doorbells */
	int guest_efd[HVM_NR_VECTORS]; /* host -> guest interrupts */
};

/*
 * Prepares a server for (shm_fd) with (vectors) vectors, listening on the
 * unix socket (path) (created; the caller unlinks).  Returns 0 or -errno.
 */
int ivshmem_init(struct ivshmem *s, const char *path, int shm_fd,
		 unsigned int vectors);

/*
 * Sends the whole connect sequence to a newly connected client (fd):
 * version 0, its id, the memory fd, the host peer's vector fds, then its
 * own vector fds.  Returns 0 or -errno.
 */
int ivshmem_greet(struct ivshmem *s, int fd);

/* Accepts QEMU's connection on the listening socket and greets it. */
int ivshmem_accept(struct ivshmem *s);

/* Rings the guest's (vector).  Returns 0 or -errno. */
int ivshmem_notify_guest(struct ivshmem *s, unsigned int vector);

/* Reads and clears host doorbell (vector); returns the count or -errno. */
int64_t ivshmem_drain(struct ivshmem *s, unsigned int vector);

void ivshmem_destroy(struct ivshmem *s);

#endif
