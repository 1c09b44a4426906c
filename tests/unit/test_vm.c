// SPDX-License-Identifier: MIT
/* test_vm.c - the ROS kernel command line and QEMU's argv for a plan. */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "hvm_abi.h"
#include "options.h"
#include "plan.h"
#include "strv.h"
#include "vm.h"

static const struct vm_paths paths = {
	.kernel = "/k/bzImage",
	.initrd = "/run/hvm/initrd.cpio",
	.klog_sock = "/run/hvm/klog",
	.out_sock = "/run/hvm/out",
	.err_sock = "/run/hvm/err",
	.ivshmem_sock = "/run/hvm/ivs",
	.qmp_sock = "/run/hvm/qmp",
};

static const char *const two_tags[] = { "share0", "share1" };

/* Index of (word) in (s) from (from), or -1. */
static int find_from(const struct strv *s, size_t from, const char *word)
{
	size_t i;

	for (i = from; i < s->n; i++)
		if (!strcmp(s->v[i], word))
			return (int)i;
	return -1;
}

static int find(const struct strv *s, const char *word)
{
	return find_from(s, 0, word);
}

/* True when (opt) is directly followed by (val) somewhere in (s). */
static int has_pair(const struct strv *s, const char *opt, const char *val)
{
	size_t i;

	for (i = 0; i + 1 < s->n; i++)
		if (!strcmp(s->v[i], opt) && !strcmp(s->v[i + 1], val))
			return 1;
	return 0;
}

static int count(const struct strv *s, const char *word)
{
	size_t i;
	int n = 0;

	for (i = 0; i < s->n; i++)
		n += !strcmp(s->v[i], word);
	return n;
}

static void default_options(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->qemu = "qemu-system-x86_64";
	o->numa_node = -1;
	o->boot_timeout = 120;
}

static void make_plan(struct plan *p, unsigned int ros, unsigned int hrt)
{
	char err[256];

	assert_int_equal(plan_make(p, ros, hrt, 512ull << 20, 64ull << 20, err,
				   sizeof(err)),
			 0);
}

UNIT_TEST(vm_ros_cmdline_reserves_trampoline)
{
	struct strv s = { 0 };
	struct options o;
	struct plan p;

	default_options(&o);
	make_plan(&p, 3, 2);
	vm_ros_cmdline(&p, &o, &s);
	assert_int_equal(s.oom, 0);
	assert_true(find(&s, "maxcpus=3") >= 0);
	assert_true(find(&s, "memmap=0x1000$0x70000") >= 0);
	assert_true(find(&s, "hvm.trampoline=0x70000") >= 0);
	assert_true(find(&s, "no5lvl") >= 0);
	assert_true(find(&s, "rdinit=/init") >= 0);
	assert_true(find(&s, "console=ttyS0,115200") >= 0);
	assert_int_equal(count(&s, "maxcpus=3"), 1);
	strv_free(&s);

	make_plan(&p, 1, 1);
	vm_ros_cmdline(&p, &o, &s);
	assert_true(find(&s, "maxcpus=1") >= 0);
	strv_free(&s);
}

UNIT_TEST(vm_qemu_argv_tcg_two_three)
{
	struct strv s = { 0 };
	struct options o;
	struct plan p;
	int klog, out, err, i;

	default_options(&o);
	make_plan(&p, 2, 3);
	assert_int_equal(vm_qemu_argv(&p, &o, &paths, 0, NULL, &s), 0);
	assert_int_equal(s.oom, 0);
	assert_null(s.v[s.n]);
	assert_string_equal(s.v[0], "qemu-system-x86_64");
	assert_true(has_pair(&s, "-smp", "5,sockets=1,cores=5,threads=1"));
	assert_true(has_pair(&s, "-m", "512M"));
	assert_true(has_pair(&s, "-accel", "tcg,thread=multi"));
	assert_true(has_pair(&s, "-cpu", "max"));
	assert_int_equal(find(&s, "host"), -1);
	assert_true(has_pair(&s, "-kernel", "/k/bzImage"));
	assert_true(has_pair(&s, "-initrd", "/run/hvm/initrd.cpio"));
	assert_true(has_pair(&s, "-device",
			     "ivshmem-doorbell,chardev=ivs,vectors=4"));
	assert_true(
		has_pair(&s, "-chardev", "socket,id=ivs,path=/run/hvm/ivs"));
	assert_true(
		has_pair(&s, "-chardev", "socket,id=qmp,path=/run/hvm/qmp"));
	assert_true(has_pair(&s, "-mon", "chardev=qmp,mode=control"));
	assert_true(find(&s, "-nodefaults") >= 0);
	assert_true(find(&s, "-no-reboot") >= 0);

	/* The kernel command line is one argument. */
	i = find(&s, "-append");
	assert_true(i >= 0);
	assert_non_null(strstr(s.v[i + 1], "maxcpus=2 "));
	assert_non_null(strstr(s.v[i + 1], "memmap=0x1000$0x70000"));

	/* Three serial ports in the order klog, out, err. */
	klog = find(&s, "socket,id=klog,path=/run/hvm/klog");
	out = find(&s, "socket,id=out,path=/run/hvm/out");
	err = find(&s, "socket,id=err,path=/run/hvm/err");
	assert_true(klog > 0 && out > klog && err > out);
	assert_string_equal(s.v[klog - 1], "-chardev");
	assert_string_equal(s.v[out - 1], "-chardev");
	assert_string_equal(s.v[err - 1], "-chardev");
	assert_int_equal(find(&s, "chardev:klog"),
			 find_from(&s, (size_t)klog, "-serial") + 1);
	assert_int_equal(find(&s, "chardev:out"),
			 find_from(&s, (size_t)out, "-serial") + 1);
	assert_int_equal(find(&s, "chardev:err"),
			 find_from(&s, (size_t)err, "-serial") + 1);
	assert_int_equal(count(&s, "-serial"), 3);

	/* No shares, host root or gdb by default. */
	assert_int_equal(find(&s, "-virtfs"), -1);
	assert_int_equal(find(&s, "-gdb"), -1);
	strv_free(&s);
}

UNIT_TEST(vm_qemu_argv_kvm)
{
	struct strv s = { 0 };
	struct options o;
	struct plan p;

	default_options(&o);
	o.qemu = "/opt/bin/qemu";
	make_plan(&p, 1, 1);
	assert_int_equal(vm_qemu_argv(&p, &o, &paths, 1, NULL, &s), 0);
	assert_string_equal(s.v[0], "/opt/bin/qemu");
	assert_true(has_pair(&s, "-accel", "kvm"));
	assert_true(has_pair(&s, "-cpu", "host"));
	assert_int_equal(find(&s, "tcg,thread=multi"), -1);
	assert_int_equal(find(&s, "max"), -1);
	assert_true(has_pair(&s, "-smp", "2,sockets=1,cores=2,threads=1"));
	strv_free(&s);
}

UNIT_TEST(vm_qemu_argv_shares_host_root_gdb)
{
	struct strv s = { 0 };
	struct options o;
	struct plan p;
	char a[] = "/srv/a", ga[] = "/mnt/a", b[] = "/srv/b", gb[] = "/data/b";
	int i;

	default_options(&o);
	o.shares[0].host = a;
	o.shares[0].guest = ga;
	o.shares[1].host = b;
	o.shares[1].guest = gb;
	o.nr_shares = 2;
	o.host_root = true;
	o.gdb_port = 1234;
	make_plan(&p, 1, 1);
	assert_int_equal(vm_qemu_argv(&p, &o, &paths, 0, two_tags, &s), 0);
	assert_int_equal(count(&s, "-virtfs"), 3);
	i = find(
		&s,
		"local,path=/srv/a,mount_tag=share0,security_model=none,id=share0");
	assert_true(i > 0);
	assert_string_equal(s.v[i - 1], "-virtfs");
	i = find(
		&s,
		"local,path=/srv/b,mount_tag=share1,security_model=none,id=share1");
	assert_true(i > 0);
	assert_string_equal(s.v[i - 1], "-virtfs");
	for (i = 0; i < (int)s.n; i++)
		if (strstr(s.v[i], "mount_tag=hostroot"))
			break;
	assert_true(i < (int)s.n);
	assert_string_equal(s.v[i - 1], "-virtfs");
	assert_non_null(strstr(s.v[i], "path=/,"));
	assert_non_null(strstr(s.v[i], "readonly=on"));
	assert_true(has_pair(&s, "-gdb", "tcp::1234"));
	strv_free(&s);

	/* Only the host root: one readonly -virtfs. */
	o.nr_shares = 0;
	o.gdb_port = 0;
	assert_int_equal(vm_qemu_argv(&p, &o, &paths, 0, NULL, &s), 0);
	assert_int_equal(count(&s, "-virtfs"), 1);
	assert_int_equal(find(&s, "-gdb"), -1);
	strv_free(&s);
}

/* Piped stdin: a virtio-serial port; --net user with forwarded ports. */
UNIT_TEST(vm_qemu_argv_stdin_port_and_net)
{
	struct vm_paths pin = paths;
	struct strv s = { 0 };
	struct options o;
	struct plan p;
	char err[128];
	char *argv[] = { "hvm-run",	    "--forward", "8080:80", "--forward",
			 "0.0.0.0:2222:22", "--",	 "true",    NULL };
	int i;

	assert_int_equal(options_parse(&o, 7, argv, err, sizeof(err)), 0);
	assert_int_equal(plan_make(&p, 1, 1, 512ull << 20, 64ull << 20, err,
				   sizeof(err)),
			 0);
	pin.in_sock = "/run/hvm/in";
	assert_int_equal(vm_qemu_argv(&p, &o, &pin, 0, NULL, &s), 0);
	i = find_from(&s, 0, "socket,id=in,path=/run/hvm/in");
	assert_true(i > 0);
	assert_true(find_from(&s, 0, "virtio-serial-pci,id=vser") > 0);
	assert_true(find_from(&s, 0,
			      "virtserialport,bus=vser.0,chardev=in,"
			      "name=" VM_STDIN_PORT) > 0);
	/* After stderr's chardev: hvm-run accepts them in this order. */
	assert_true(i > find_from(&s, 0, "socket,id=err,path=/run/hvm/err"));
	assert_true(i < find_from(&s, 0, "socket,id=ivs,path=/run/hvm/ivs"));
	assert_true(find_from(&s, 0,
			      "user,id=net0,"
			      "hostfwd=tcp:127.0.0.1:8080-:80,"
			      "hostfwd=tcp:0.0.0.0:2222-:22") > 0);
	assert_true(find_from(&s, 0, "virtio-net-pci,netdev=net0") > 0);
	strv_free(&s);

	/* Neither by default. */
	assert_int_equal(vm_qemu_argv(&p, &o, &paths, 0, NULL, &s), 0);
	assert_int_equal(find_from(&s, 0, "virtio-serial-pci,id=vser"), -1);
	strv_free(&s);
	options_free(&o);
	assert_int_equal(options_parse(&o, 1, argv, err, sizeof(err)), 0);
	assert_int_equal(vm_qemu_argv(&p, &o, &paths, 0, NULL, &s), 0);
	assert_int_equal(find_from(&s, 0, "virtio-net-pci,netdev=net0"), -1);
	strv_free(&s);
	options_free(&o);
}
