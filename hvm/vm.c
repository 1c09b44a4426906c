// SPDX-License-Identifier: MIT
/* vm.c - builds the ROS command line and QEMU's argv for a planned split. */
#include "vm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hvm_abi.h"

void vm_ros_cmdline(const struct plan *p, const struct options *o,
		    struct strv *out)
{
	strv_add(out, "console=ttyS0,115200");
	/* Linux onlines only the ROS cores; the rest stay present for the HRT. */
	strv_addf(out, "maxcpus=%u", p->ros_cpus);
	/* One low page for the real-mode AP trampoline; hvm.ko is told where. */
	strv_addf(out, "memmap=%#llx$%#llx", HVM_TRAMPOLINE_SIZE,
		  HVM_TRAMPOLINE_PHYS);
	strv_addf(out, "hvm.trampoline=%#llx", HVM_TRAMPOLINE_PHYS);
	/* The HRT merges 4-level page tables only; TCG offers LA57. */
	strv_add(out, "no5lvl");
	strv_add(out, "rdinit=/init");
	strv_add(out, "panic=-1");
	strv_add(out, "oops=panic");
	/* No TSC calibration surprises under TCG; deterministic boot. */
	strv_add(out, "tsc=reliable");
	strv_add(out, "nokaslr");
	/*
	 * The kernel log has ttyS0 to itself: hvm-run keeps its tail for error
	 * reports and shows it with -v, so it is never quietened.
	 */
	for (unsigned int i = 0; i < o->nr_kernel_args; i++)
		strv_add(out, o->kernel_args[i]);
}

int vm_qemu_argv(const struct plan *p, const struct options *o,
		 const struct vm_paths *paths, int kvm,
		 const char *const *share_tags, struct strv *out)
{
	struct strv cmdline = { 0 };
	char *append;
	unsigned int i;

	strv_add(out, o->qemu);
	strv_add(out, "-name");
	strv_add(out, "hvm,debug-threads=on");
	strv_add(out, "-nodefaults");
	strv_add(out, "-no-user-config");
	strv_add(out, "-display");
	strv_add(out, "none");
	strv_add(out, "-no-reboot");
	strv_add(out, "-machine");
	strv_add(out, "q35");
	strv_add(out, "-accel");
	strv_add(out, kvm ? "kvm" : "tcg,thread=multi");
	strv_add(out, "-cpu");
	strv_add(out, kvm ? "host" : "max");
	strv_add(out, "-smp");
	strv_addf(out, "%u,sockets=1,cores=%u,threads=1", p->vcpus, p->vcpus);
	strv_add(out, "-m");
	strv_addf(out, "%" PRIu64 "M", p->ros_mem >> 20);
	strv_add(out, "-kernel");
	strv_add(out, paths->kernel);
	strv_add(out, "-initrd");
	strv_add(out, paths->initrd);
	vm_ros_cmdline(p, o, &cmdline);
	append = strv_join(&cmdline, " ");
	strv_free(&cmdline);
	if (!append)
		return -ENOMEM;
	strv_add(out, "-append");
	strv_add(out, append);
	free(append);

	/* ttyS0..2; order matters: hvm-run accepts the sockets in this order. */
	{
		const char *const ids[] = { "klog", "out", "err" };
		const char *const socks[] = { paths->klog_sock, paths->out_sock,
					      paths->err_sock };

		for (i = 0; i < 3; i++) {
			strv_add(out, "-chardev");
			strv_addf(out, "socket,id=%s,path=%s", ids[i],
				  socks[i]);
			strv_add(out, "-serial");
			strv_addf(out, "chardev:%s", ids[i]);
		}
	}
	/*
	 * Piped stdin: a virtio-serial port, which has flow control, and EOF
	 * (the guest reads 0) once hvm-run shuts its side of the socket.
	 */
	if (paths->in_sock) {
		strv_add(out, "-chardev");
		strv_addf(out, "socket,id=in,path=%s", paths->in_sock);
		strv_add(out, "-device");
		strv_add(out, "virtio-serial-pci,id=vser");
		strv_add(out, "-device");
		strv_add(out, "virtserialport,bus=vser.0,chardev=in,"
			      "name=" VM_STDIN_PORT);
	}
	strv_add(out, "-chardev");
	strv_addf(out, "socket,id=ivs,path=%s", paths->ivshmem_sock);
	strv_add(out, "-device");
	strv_addf(out, "ivshmem-doorbell,chardev=ivs,vectors=%u",
		  HVM_NR_VECTORS);
	strv_add(out, "-chardev");
	strv_addf(out, "socket,id=qmp,path=%s", paths->qmp_sock);
	strv_add(out, "-mon");
	strv_add(out, "chardev=qmp,mode=control");

	for (i = 0; i < o->nr_shares; i++) {
		strv_add(out, "-virtfs");
		strv_addf(
			out,
			"local,path=%s,mount_tag=%s,security_model=none,id=%s",
			o->shares[i].host, share_tags[i], share_tags[i]);
	}
	if (o->host_root) {
		strv_add(out, "-virtfs");
		strv_add(out, "local,path=/"
			      ",mount_tag=hostroot,security_model=none,"
			      "multidevs=remap,"
			      "readonly=on,id=hostroot");
	}
	if (o->net == NET_USER) {
		struct strv nd = { 0 };
		char *s;

		strv_add(&nd, "user,id=net0");
		for (i = 0; i < o->nr_forwards; i++)
			strv_addf(&nd, "hostfwd=tcp:%s:%u-:%u",
				  o->forwards[i].addr, o->forwards[i].host_port,
				  o->forwards[i].guest_port);
		s = strv_join(&nd, ",");
		strv_free(&nd);
		if (!s)
			return -ENOMEM;
		strv_add(out, "-netdev");
		strv_add(out, s);
		free(s);
		strv_add(out, "-device");
		strv_add(out, "virtio-net-pci,netdev=net0");
	}
	if (o->cluster_set && cluster_qemu_args(&o->cluster, out))
		return -ENOMEM;
	if (o->gdb_port) {
		strv_add(out, "-gdb");
		strv_addf(out, "tcp::%d", o->gdb_port);
	}
	for (i = 0; i < o->nr_qemu_args; i++)
		strv_add(out, o->qemu_args[i]);
	return out->oom ? -ENOMEM : 0;
}
