// SPDX-License-Identifier: MIT
/* accel.c - times a tiny ring-0 guest under KVM to see if KVM is usable. */
#include "accel.h"
#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PROBE_LOOPS 200000u /* 2 instructions each: ~400k instructions */
#define PROBE_MEM   0x10000u

static void probe_alarm(int sig)
{
	(void)sig; /* only there to make KVM_RUN return -EINTR */
}

int accel_kvm_probe(const char *dev, double *ips)
{
	/*
	 * Real mode at CPL 0: mov ecx, N; 1: dec ecx; jnz 1b; hlt.  Real mode
	 * is kernel mode: a hypervisor that emulates guest ring 0 (shadow
	 * paging without unrestricted guest) emulates this too.
	 */
	const uint8_t code[] = {
		0x66,
		0xb9,
		PROBE_LOOPS & 0xff,
		(PROBE_LOOPS >> 8) & 0xff,
		(PROBE_LOOPS >> 16) & 0xff,
		PROBE_LOOPS >> 24, /* mov ecx, N */
		0x66,
		0x49, /* dec ecx */
		0x75,
		0xfc, /* jnz -4 */
		0xf4, /* hlt */
	};
	struct kvm_userspace_memory_region mr = { 0 };
	struct sigaction sa = { .sa_handler = probe_alarm }, old;
	struct itimerval it = { .it_value = { .tv_sec = 5 } }, oldit;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	struct timespec t0, t1;
	int kvm, vm = -1, cpu = -1, err = 0, runsz;
	void *mem = MAP_FAILED;

	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -errno;
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		err = -ENOTSUP;
		goto out;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		goto out_errno;
	mem = mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		goto out_errno;
	memcpy((char *)mem + 0x1000, code, sizeof(code));
	mr.memory_size = PROBE_MEM;
	mr.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		goto out_errno;
	cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (cpu < 0)
		goto out_errno;
	runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (runsz <= 0)
		goto out_errno;
	run = mmap(NULL, (size_t)runsz, PROT_READ | PROT_WRITE, MAP_SHARED, cpu,
		   0);
	if (run == MAP_FAILED)
		goto out_errno;
	if (ioctl(cpu, KVM_GET_SREGS, &sregs) < 0)
		goto out_unmap;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(cpu, KVM_SET_SREGS, &sregs) < 0)
		goto out_unmap;
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(cpu, KVM_SET_REGS, &regs) < 0)
		goto out_unmap;

	/* A guest that crawls must not hang the launcher: bound it. */
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, &oldit);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (ioctl(cpu, KVM_RUN, 0) < 0) {
			err = errno == EINTR ? -ETIMEDOUT : -errno;
			break;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason != KVM_EXIT_INTR) {
			err = -EIO;
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &oldit, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (!err) {
		double s = (double)(t1.tv_sec - t0.tv_sec) +
			   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

		*ips = (2.0 * PROBE_LOOPS + 2) / (s > 1e-9 ? s : 1e-9);
	}
	munmap(run, (size_t)runsz);
	goto out;
out_unmap:
	err = -errno;
	munmap(run, (size_t)runsz);
	goto out;
out_errno:
	err = -errno;
out:
	if (mem != MAP_FAILED)
		munmap(mem, PROBE_MEM);
	if (cpu >= 0)
		close(cpu);
	if (vm >= 0)
		close(vm);
	close(kvm);
	return err;
}

int accel_choose(int mode, char *why, size_t len, bool *fallback)
{
	double ips = 0;
	int err;

	why[0] = '\0';
	*fallback = false;
	if (mode == ACCEL_TCG)
		return 0;
	if (access("/dev/kvm", R_OK | W_OK)) {
		err = -errno;
		if (mode == ACCEL_KVM)
			return err;
		snprintf(why, len, "no usable /dev/kvm (%s); using TCG",
			 strerror(-err));
		return 0;
	}
	if (mode == ACCEL_KVM)
		return 1;
	err = accel_kvm_probe("/dev/kvm", &ips);
	*fallback = err || ips < ACCEL_MIN_RING0_IPS;
	if (err) {
		snprintf(why, len, "KVM probe failed (%s); using TCG",
			 strerror(-err));
		return 0;
	}
	if (ips < ACCEL_MIN_RING0_IPS) {
		snprintf(why, len,
			 "KVM here emulates guest kernel mode (%.1fM "
			 "instructions/s); using TCG",
			 ips / 1e6);
		return 0;
	}
	snprintf(
		why, len,
		"KVM runs guest kernel mode at %.0fM instructions/s; using KVM",
		ips / 1e6);
	return 1;
}
