/* SPDX-License-Identifier: MIT */
/* vm.h - composes the ROS kernel command line and QEMU's command line. */
#ifndef HVM_VM_H
#define HVM_VM_H

#include "options.h"
#include "plan.h"
#include "strv.h"

/* The name of the virtio-serial port that carries the command's stdin. */
#define VM_STDIN_PORT "hvm.stdin"

/* Where hvm-run's sockets and files for one VM live. */
struct vm_paths {
	const char *kernel;
	const char *initrd;
	const char *klog_sock; /* ttyS0: kernel console, QEMU connects */
	const char *out_sock;  /* ttyS1: the command's stdout (and stdin) */
	const char *err_sock;  /* ttyS2: the command's stderr */
	/* The command's stdin (virtio-serial port "hvm.stdin"), or NULL. */
	const char *in_sock;
	const char *ivshmem_sock; /* ivshmem server, QEMU connects */
	const char *qmp_sock;	  /* QMP, QEMU connects */
};

/* The ROS kernel command line for (p) and (o) into (out). */
void vm_ros_cmdline(const struct plan *p, const struct options *o,
		    struct strv *out);

/*
 * The QEMU argv for (p), (o), (paths) and the chosen accelerator (kvm),
 * share tags (share_tags[i] for o->shares[i]).  Returns 0 or -ENOMEM.
 */
int vm_qemu_argv(const struct plan *p, const struct options *o,
		 const struct vm_paths *paths, int kvm,
		 const char *const *share_tags, struct strv *out);

#endif
