// SPDX-License-Identifier: MIT
/* test_options.c - hvm-run's command-line parsers and options_parse. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "plan.h"
#include "strv.h"
#include "vm.h"

UNIT_TEST(options_parse_size_accepts_units)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "1", 1 },
		{ "4096", 4096 },
		{ "64k", 64ull << 10 },
		{ "64K", 64ull << 10 },
		{ "512m", 512ull << 20 },
		{ "512M", 512ull << 20 },
		{ "1g", 1ull << 30 },
		{ "3G", 3ull << 30 },
		{ "2t", 2ull << 40 },
		{ "2T", 2ull << 40 },
		{ "4KiB", 4ull << 10 },
		{ "64MB", 64ull << 20 },
		{ "64Mb", 64ull << 20 },
		{ "1GiB", 1ull << 30 },
		{ "16777215T", 16777215ull << 40 },
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 0;
		if (parse_size(ok[i].s, &v))
			fail_msg("parse_size(\"%s\") failed", ok[i].s);
		assert_int_equal(v, ok[i].v);
	}
}

UNIT_TEST(options_parse_size_rejects_garbage)
{
	static const char *const bad[] = {
		"",
		"0",
		"0M",
		"-5",
		"+5",
		"12X",
		"1.5G",
		"M",
		" 5",
		"5 ",
		" -5",
		"5MM",
		"99999999999T",
		"16777216T",
		"99999999999999999999",
		"18014398509481984K",
	};
	uint64_t v = 77;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_size(bad[i], &v) != -EINVAL)
			fail_msg("parse_size(\"%s\") accepted", bad[i]);
	assert_int_equal(parse_size(NULL, &v), -EINVAL);
	assert_int_equal(v, 77); /* untouched on error */
}

UNIT_TEST(options_parse_cores)
{
	static const char *const bad[] = {
		":1",	"1:",  "a:b",  "1:1:1",	       "1", "", ":",
		"-1:1", "1:x", "1 :1", "1234567890:1",
	};
	unsigned int r = 0, h = 0;
	size_t i;

	assert_int_equal(parse_cores("1:1", &r, &h), 0);
	assert_int_equal(r, 1);
	assert_int_equal(h, 1);
	assert_int_equal(parse_cores("3:4", &r, &h), 0);
	assert_int_equal(r, 3);
	assert_int_equal(h, 4);
	assert_int_equal(parse_cores("12:64", &r, &h), 0);
	assert_int_equal(r, 12);
	assert_int_equal(h, 64);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_cores(bad[i], &r, &h) != -EINVAL)
			fail_msg("parse_cores(\"%s\") accepted", bad[i]);
	assert_int_equal(parse_cores(NULL, &r, &h), -EINVAL);
}

UNIT_TEST(options_parse_mem)
{
	static const char *const bad[] = {
		"512M",	 "512M:",	":64M", "512M:0",
		"x:64M", "512M:64M:1M", "",	"512M:64X",
	};
	char longstr[100];
	uint64_t r = 0, h = 0;
	size_t i;

	assert_int_equal(parse_mem("512M:64M", &r, &h), 0);
	assert_int_equal(r, 512ull << 20);
	assert_int_equal(h, 64ull << 20);
	assert_int_equal(parse_mem("2G:1g", &r, &h), 0);
	assert_int_equal(r, 2ull << 30);
	assert_int_equal(h, 1ull << 30);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_mem(bad[i], &r, &h) != -EINVAL)
			fail_msg("parse_mem(\"%s\") accepted", bad[i]);
	memset(longstr, '1', sizeof(longstr) - 1);
	longstr[sizeof(longstr) - 1] = '\0';
	longstr[10] = ':';
	assert_int_equal(parse_mem(longstr, &r, &h), -EINVAL);
}

static void map_free(struct path_map *m)
{
	free(m->host);
	free(m->guest);
	m->host = m->guest = NULL;
}

UNIT_TEST(options_parse_path_map)
{
	struct path_map m;

	assert_int_equal(parse_path_map("/home/u/data", "/mnt", &m), 0);
	assert_string_equal(m.host, "/home/u/data");
	assert_string_equal(m.guest, "/mnt/data");
	map_free(&m);

	assert_int_equal(parse_path_map("rel/file.txt", "/root", &m), 0);
	assert_string_equal(m.host, "rel/file.txt");
	assert_string_equal(m.guest, "/root/file.txt");
	map_free(&m);

	assert_int_equal(parse_path_map("/srv/x:/data/y", "/mnt", &m), 0);
	assert_string_equal(m.host, "/srv/x");
	assert_string_equal(m.guest, "/data/y");
	map_free(&m);

	assert_int_equal(parse_path_map("/srv/x", NULL, &m), 0);
	assert_string_equal(m.host, "/srv/x");
	assert_string_equal(m.guest, "/srv/x");
	map_free(&m);

	assert_int_equal(parse_path_map("/srv/x:rel", "/mnt", &m), -EINVAL);
	assert_int_equal(parse_path_map("/srv/x:", "/mnt", &m), -EINVAL);
	assert_int_equal(parse_path_map(":/guest", "/mnt", &m), -EINVAL);
	assert_int_equal(parse_path_map("", "/mnt", &m), -EINVAL);
	assert_int_equal(parse_path_map(NULL, "/mnt", &m), -EINVAL);
}

/* Parses a NULL-terminated list (argv[0] included) that stays writable. */
#define PARSE(o, err, ...)                                                     \
	({                                                                     \
		static char *args_[] = { "hvm-run", __VA_ARGS__, NULL };       \
		options_parse((o),                                             \
			      (int)(sizeof(args_) / sizeof(args_[0])) - 1,     \
			      args_, (err), sizeof(err));                      \
	})

UNIT_TEST(options_defaults)
{
	static char *argv[] = { "hvm-run", NULL };
	struct options o;
	char err[256];

	assert_int_equal(options_parse(&o, 1, argv, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(o.ros_cpus, 1);
	assert_int_equal(o.hrt_cpus, 1);
	assert_int_equal(o.ros_mem, 512ull << 20);
	assert_int_equal(o.hrt_mem, 64ull << 20);
	assert_int_equal(o.accel, ACCEL_AUTO);
	assert_int_equal(o.boot_timeout, 120);
	assert_int_equal(o.timeout, 0);
	assert_int_equal(o.numa_node, -1);
	assert_int_equal(o.gdb_port, 0);
	assert_int_equal(o.verbose, 0);
	assert_false(o.host_root);
	assert_false(o.no_hrt);
	assert_false(o.pin);
	assert_null(o.cmd);
	assert_int_equal(o.cmd_argc, 0);
	assert_int_equal(o.nr_adds, 0);
	assert_int_equal(o.nr_shares, 0);
	assert_string_equal(o.qemu, "qemu-system-x86_64");
	options_free(&o);
}

UNIT_TEST(options_full_command_line)
{
	struct options o;
	char err[256];

	assert_int_equal(PARSE(&o, err, "--cores", "3:4", "--mem", "1G:128M",
			       "--kernel", "/k/vmlinuz", "--hrt", "/h.elf",
			       "--accel", "tcg", "--pin", "--no-hrt",
			       "--hrt-log", "/tmp/log", "--qemu", "/opt/qemu",
			       "--", "ls", "-l", "/"),
			 0);
	assert_int_equal(o.ros_cpus, 3);
	assert_int_equal(o.hrt_cpus, 4);
	assert_int_equal(o.ros_mem, 1ull << 30);
	assert_int_equal(o.hrt_mem, 128ull << 20);
	assert_string_equal(o.kernel, "/k/vmlinuz");
	assert_string_equal(o.hrt_image, "/h.elf");
	assert_int_equal(o.accel, ACCEL_TCG);
	assert_true(o.pin);
	assert_true(o.no_hrt);
	assert_string_equal(o.hrt_log, "/tmp/log");
	assert_string_equal(o.qemu, "/opt/qemu");
	assert_int_equal(o.cmd_argc, 3);
	assert_string_equal(o.cmd[0], "ls");
	assert_string_equal(o.cmd[1], "-l");
	assert_string_equal(o.cmd[2], "/");
	assert_null(o.cmd[3]);
	options_free(&o);

	/* "--opt=value" forms and kvm. */
	assert_int_equal(PARSE(&o, err, "--cores=2:2", "--accel=kvm"), 0);
	assert_int_equal(o.ros_cpus, 2);
	assert_int_equal(o.hrt_cpus, 2);
	assert_int_equal(o.accel, ACCEL_KVM);
	assert_null(o.cmd);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--accel", "auto"), 0);
	assert_int_equal(o.accel, ACCEL_AUTO);
	options_free(&o);
}

UNIT_TEST(options_command_options_belong_to_the_command)
{
	struct options o;
	char err[256];

	/* After "--" everything, even things that look like options, is cmd. */
	assert_int_equal(PARSE(&o, err, "-v", "--", "sh", "-c", "--cores 1:1"),
			 0);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(o.cmd_argc, 3);
	assert_string_equal(o.cmd[0], "sh");
	assert_string_equal(o.cmd[1], "-c");
	assert_string_equal(o.cmd[2], "--cores 1:1");
	assert_int_equal(o.ros_cpus, 1);
	options_free(&o);

	/* A bare "--" leaves no command. */
	assert_int_equal(PARSE(&o, err, "--"), 0);
	assert_null(o.cmd);
	assert_int_equal(o.cmd_argc, 0);
	options_free(&o);
}

UNIT_TEST(options_errors)
{
	struct options o;
	char err[256];

	assert_int_equal(PARSE(&o, err, "ls"), -EINVAL);
	assert_non_null(strstr(err, "'ls'"));
	assert_non_null(strstr(err, "--"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "-v", "ls", "-l"), -EINVAL);
	assert_non_null(strstr(err, "after --"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--bogus"), -EINVAL);
	assert_non_null(strstr(err, "unknown option"));
	assert_non_null(strstr(err, "--bogus"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "-x"), -EINVAL);
	assert_non_null(strstr(err, "unknown option"));
	assert_non_null(strstr(err, "-x"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--timeout"), -EINVAL);
	assert_non_null(strstr(err, "--timeout"));
	assert_non_null(strstr(err, "needs an argument"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--accel", "xen"), -EINVAL);
	assert_non_null(strstr(err, "--accel"));
	assert_non_null(strstr(err, "'xen'"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--cores", "1"), -EINVAL);
	assert_non_null(strstr(err, "--cores"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--mem", "512M"), -EINVAL);
	assert_non_null(strstr(err, "--mem"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--host-root"), -EINVAL);
	assert_non_null(strstr(err, "--host-root"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--share", "/a:rel"), -EINVAL);
	assert_non_null(strstr(err, "--share"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--add", ""), -EINVAL);
	assert_non_null(strstr(err, "--add"));
	options_free(&o);
}

UNIT_TEST(options_host_root_with_command)
{
	struct options o;
	char err[256];

	assert_int_equal(PARSE(&o, err, "--host-root", "--", "uname", "-a"), 0);
	assert_true(o.host_root);
	assert_int_equal(o.cmd_argc, 2);
	assert_string_equal(o.cmd[0], "uname");
	options_free(&o);
}

UNIT_TEST(options_numbers)
{
	struct options o;
	char err[256];

	assert_int_equal(PARSE(&o, err, "--timeout", "30", "--boot-timeout",
			       "600", "--numa", "1", "--gdb", "1234"),
			 0);
	assert_int_equal(o.timeout, 30);
	assert_int_equal(o.boot_timeout, 600);
	assert_int_equal(o.numa_node, 1);
	assert_int_equal(o.gdb_port, 1234);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--timeout", "0", "--numa", "0"), 0);
	assert_int_equal(o.timeout, 0);
	assert_int_equal(o.numa_node, 0);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--timeout", "-1"), -EINVAL);
	assert_non_null(strstr(err, "--timeout"));
	assert_int_equal(PARSE(&o, err, "--timeout", "10s"), -EINVAL);
	assert_int_equal(PARSE(&o, err, "--timeout", "604801"), -EINVAL);
	assert_int_equal(PARSE(&o, err, "--boot-timeout", "0"), -EINVAL);
	assert_non_null(strstr(err, "--boot-timeout"));
	assert_int_equal(PARSE(&o, err, "--numa", "x"), -EINVAL);
	assert_non_null(strstr(err, "--numa"));
	assert_int_equal(PARSE(&o, err, "--numa", "1024"), -EINVAL);
	assert_int_equal(PARSE(&o, err, "--gdb", "0"), -EINVAL);
	assert_non_null(strstr(err, "--gdb"));
	assert_int_equal(PARSE(&o, err, "--gdb", "65536"), -EINVAL);
	assert_int_equal(PARSE(&o, err, "--gdb", ""), -EINVAL);
	options_free(&o);
}

UNIT_TEST(options_repeated_share_and_add)
{
	struct options o;
	char err[256];

	assert_int_equal(PARSE(&o, err, "--share", "/srv/a", "--share",
			       "/srv/b:/data/b", "--add", "/usr/bin/tool",
			       "--add", "/etc/x.conf:/etc/y.conf", "--share",
			       "/srv/c"),
			 0);
	assert_int_equal(o.nr_shares, 3);
	assert_string_equal(o.shares[0].host, "/srv/a");
	assert_string_equal(o.shares[0].guest, "/mnt/a");
	assert_string_equal(o.shares[1].host, "/srv/b");
	assert_string_equal(o.shares[1].guest, "/data/b");
	assert_string_equal(o.shares[2].guest, "/mnt/c");
	assert_int_equal(o.nr_adds, 2);
	assert_string_equal(o.adds[0].host, "/usr/bin/tool");
	assert_string_equal(o.adds[0].guest, "/root/tool");
	assert_string_equal(o.adds[1].host, "/etc/x.conf");
	assert_string_equal(o.adds[1].guest, "/etc/y.conf");
	options_free(&o);
	assert_int_equal(o.nr_shares, 0);
	assert_int_equal(o.nr_adds, 0);
}

UNIT_TEST(options_too_many_shares)
{
	static char *argv[2 + 2 * (OPTIONS_MAX_MAPS + 1)];
	static char paths[OPTIONS_MAX_MAPS + 1][32];
	struct options o;
	char err[256];
	int i, argc = 0;

	argv[argc++] = "hvm-run";
	for (i = 0; i <= (int)OPTIONS_MAX_MAPS; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/srv/d%d", i);
		argv[argc++] = "--share";
		argv[argc++] = paths[i];
	}
	argv[argc] = NULL;
	assert_int_equal(options_parse(&o, argc - 2, argv, err, sizeof(err)),
			 0);
	assert_int_equal(o.nr_shares, OPTIONS_MAX_MAPS);
	options_free(&o);
	assert_int_equal(options_parse(&o, argc, argv, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "too many --share"));
	assert_int_equal(o.nr_shares, OPTIONS_MAX_MAPS);
	options_free(&o);
}

UNIT_TEST(options_verbosity)
{
	struct options o;
	char err[256];

	assert_int_equal(PARSE(&o, err, "-v"), 0);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(PARSE(&o, err, "-v", "-v", "--verbose"), 0);
	assert_int_equal(o.verbose, 3);
	assert_int_equal(PARSE(&o, err, "-vv"), 0);
	assert_int_equal(o.verbose, 2);
	assert_int_equal(PARSE(&o, err, "-q"), 0);
	assert_int_equal(o.verbose, -1);
	assert_int_equal(PARSE(&o, err, "--quiet"), 0);
	assert_int_equal(o.verbose, -1);
	/* Repeated calls start from fresh defaults. */
	assert_int_equal(PARSE(&o, err, "--pin"), 0);
	assert_int_equal(o.verbose, 0);
	assert_true(o.pin);
	options_free(&o);
}

UNIT_TEST(options_save_initrd_and_hrt_log)
{
	struct options o;
	char err[256];

	assert_int_equal(PARSE(&o, err, "--save-initrd", "/tmp/i.cpio",
			       "--hrt-log", "/tmp/h.log", "--no-hrt", "--",
			       "true"),
			 0);
	assert_string_equal(o.save_initrd, "/tmp/i.cpio");
	assert_string_equal(o.hrt_log, "/tmp/h.log");
	assert_true(o.no_hrt);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--save-initrd"), -EINVAL);
	assert_non_null(strstr(err, "needs an argument"));
	options_free(&o);
}

UNIT_TEST(options_kernel_and_qemu_args)
{
	struct options o;
	struct strv cl = { 0 };
	struct plan p;
	char err[256], *line;

	assert_int_equal(PARSE(&o, err, "--kernel-arg", "pti=on",
			       "--kernel-arg", "hvm.boot_timeout_ms=9000",
			       "--qemu-arg", "-S", "--", "true"),
			 0);
	assert_int_equal(o.nr_kernel_args, 2);
	assert_int_equal(o.nr_qemu_args, 1);
	assert_int_equal(plan_make(&p, 1, 1, 512ull << 20, 64ull << 20, err,
				   sizeof(err)),
			 0);
	vm_ros_cmdline(&p, &o, &cl);
	line = strv_join(&cl, " ");
	assert_non_null(strstr(line, " pti=on hvm.boot_timeout_ms=9000"));
	free(line);
	strv_free(&cl);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--kernel-arg", "a b"), -EINVAL);
	assert_non_null(strstr(err, "without spaces"));
	options_free(&o);
}

/* Runs options_parse on a NULL-terminated list; returns its result. */
static int parse_list(struct options *o, const char *const *args, char *err,
		      size_t len)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "hvm-run";
	while (*args && argc < 31)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return options_parse(o, argc, argv, err, len);
}

UNIT_TEST(options_stdin_net_forward_timeout_total)
{
	const char *a[] = { "-i",
			    "--forward",
			    "8080:80",
			    "--forward",
			    "0.0.0.0:2222:22",
			    "--timeout-total",
			    "90",
			    "--",
			    "cat",
			    NULL };
	const char *b[] = { "--stdin", "--net", "user", "--", "cat", NULL };
	const char *c[] = { "--net", "none", "--", "true", NULL };
	struct options o;
	char err[256];

	assert_int_equal(parse_list(&o, a, err, sizeof(err)), 0);
	assert_true(o.stdin_cmd);
	assert_int_equal(o.net, NET_USER); /* --forward implies it */
	assert_int_equal(o.nr_forwards, 2);
	assert_string_equal(o.forwards[0].addr, "127.0.0.1");
	assert_int_equal(o.forwards[0].host_port, 8080);
	assert_int_equal(o.forwards[0].guest_port, 80);
	assert_string_equal(o.forwards[1].addr, "0.0.0.0");
	assert_int_equal(o.forwards[1].host_port, 2222);
	assert_int_equal(o.forwards[1].guest_port, 22);
	assert_int_equal(o.timeout_total, 90);
	assert_int_equal(o.timeout, 0);
	options_free(&o);
	assert_int_equal(parse_list(&o, b, err, sizeof(err)), 0);
	assert_true(o.stdin_cmd);
	assert_int_equal(o.net, NET_USER);
	assert_int_equal(o.nr_forwards, 0);
	options_free(&o);
	assert_int_equal(parse_list(&o, c, err, sizeof(err)), 0);
	assert_false(o.stdin_cmd);
	assert_int_equal(o.net, NET_NONE); /* also the default */
	options_free(&o);
}

UNIT_TEST(options_bad_net_and_forward)
{
	static const struct {
		const char *args[6];
		const char *msg;
	} bad[] = {
		{ { "--net", "tap", "--", "true" },
		  "--net wants none or user" },
		{ { "--forward", "80", "--", "true" }, "--forward wants" },
		{ { "--forward", "0:80", "--", "true" }, "--forward wants" },
		{ { "--forward", "80:70000", "--", "true" },
		  "--forward wants" },
		{ { "--forward", "1.2.3:80:80", "--", "true" },
		  "--forward wants" },
		{ { "--forward", ":80:80", "--", "true" }, "--forward wants" },
		{ { "--forward", "8080:80", "--net", "none", "--", "true" },
		  "--forward needs --net user" },
		{ { "--timeout-total", "x", "--", "true" },
		  "--timeout-total wants" },
	};
	struct options o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_list(&o, bad[i].args, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu accepted", i);
		if (!strstr(err, bad[i].msg))
			fail_msg("case %zu: '%s'", i, err);
		options_free(&o);
	}
}

UNIT_TEST(options_parse_forward)
{
	struct port_forward f;

	assert_int_equal(parse_forward("1:2", &f), 0);
	assert_string_equal(f.addr, "127.0.0.1");
	assert_int_equal(parse_forward("65535:65535", &f), 0);
	assert_int_equal(parse_forward("10.1.2.3:5:6", &f), 0);
	assert_string_equal(f.addr, "10.1.2.3");
	assert_int_equal(parse_forward("65536:1", &f), -EINVAL);
	assert_int_equal(parse_forward("a:b", &f), -EINVAL);
	assert_int_equal(parse_forward("", &f), -EINVAL);
	assert_int_equal(parse_forward(NULL, &f), -EINVAL);
	assert_int_equal(parse_forward("host:1:2", &f), -EINVAL);
}
