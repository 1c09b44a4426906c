// SPDX-License-Identifier: MIT
/* options.c - parses hvm-run's command line into struct options. */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "version.h"

/* The --help text before and after the option list options_table[] makes. */
static const char usage_head[] =
	"usage: hvm-run [OPTIONS] [-- CMD ARGS...]\n"
	"Boots one VM split between a Linux ROS and the HRT aerokernel and "
	"runs CMD\n"
	"in the ROS (a shell when CMD is absent: see below).\n"
	"\n";

static const char usage_tail[] =
	"\n"
	"With no CMD: an interactive shell when stdin is a terminal "
	"(Ctrl-] leaves);\n"
	"otherwise the shell runs the commands read from stdin and ends at its "
	"end.\n"
	"\n"
	"Exit status: the command's status (127: not found in the ROS); 128+N "
	"if\n"
	"signal N killed it (or hvm-run); 124 --timeout or --timeout-total; "
	"125\n"
	"hvm-run or VM error (with QEMU's own last words when QEMU failed).\n";

/* One options_parse() call: what the setters fill in and report into. */
struct options_parser {
	struct options *o;
	char *err;
	size_t errlen;
	bool net_set; /* --net was given: --forward conflicts with "none" */
};

static int parse_num(const char *s, unsigned int max, unsigned int *out)
{
	return parse_uint(s, strlen(s), out) || *out > max ? -EINVAL : 0;
}

/* ------------------------------------------------ one setter per option */

static int set_cores(struct options_parser *p, const char *arg)
{
	if (parse_cores(arg, &p->o->ros_cpus, &p->o->hrt_cpus))
		return errbuf_set(p->err, p->errlen,
				  "--cores wants R:H, e.g. 1:1, not '%s'", arg);
	return 0;
}

static int set_mem(struct options_parser *p, const char *arg)
{
	if (parse_mem(arg, &p->o->ros_mem, &p->o->hrt_mem))
		return errbuf_set(p->err, p->errlen,
				  "--mem wants ROS:HRT sizes, "
				  "e.g. 512M:64M, not '%s'",
				  arg);
	return 0;
}

static int set_kernel(struct options_parser *p, const char *arg)
{
	p->o->kernel = arg;
	return 0;
}

static int set_hrt(struct options_parser *p, const char *arg)
{
	p->o->hrt_image = arg;
	return 0;
}

static int set_no_hrt(struct options_parser *p, const char *arg)
{
	(void)arg;
	p->o->no_hrt = true;
	return 0;
}

/* --add and --share: one more HOST[:GUEST] map, GUEST under (def_dir). */
static int add_map(struct options_parser *p, const char *opt,
		   const char *def_dir, struct path_map *maps, unsigned int *nr,
		   const char *arg)
{
	if (*nr >= OPTIONS_MAX_MAPS)
		return errbuf_set(p->err, p->errlen,
				  "too many --%s options (max %u)", opt,
				  OPTIONS_MAX_MAPS);
	if (parse_path_map(arg, def_dir, &maps[*nr]))
		return errbuf_set(p->err, p->errlen,
				  "--%s wants HOSTPATH[:/GUESTPATH], not '%s'",
				  opt, arg);
	(*nr)++;
	return 0;
}

static int set_add(struct options_parser *p, const char *arg)
{
	return add_map(p, "add", "/root", p->o->adds, &p->o->nr_adds, arg);
}

static int set_share(struct options_parser *p, const char *arg)
{
	return add_map(p, "share", "/mnt", p->o->shares, &p->o->nr_shares, arg);
}

static int set_host_root(struct options_parser *p, const char *arg)
{
	(void)arg;
	p->o->host_root = true;
	return 0;
}

static int set_stdin(struct options_parser *p, const char *arg)
{
	(void)arg;
	p->o->stdin_cmd = true;
	return 0;
}

static int set_net(struct options_parser *p, const char *arg)
{
	if (!strcmp(arg, "user"))
		p->o->net = NET_USER;
	else if (!strcmp(arg, "none"))
		p->o->net = NET_NONE;
	else
		return errbuf_set(p->err, p->errlen,
				  "--net wants none or user, not '%s'", arg);
	p->net_set = true;
	return 0;
}

static int set_forward(struct options_parser *p, const char *arg)
{
	struct options *o = p->o;

	if (o->nr_forwards >= OPTIONS_MAX_FORWARDS)
		return errbuf_set(p->err, p->errlen,
				  "too many --forward options (max %u)",
				  OPTIONS_MAX_FORWARDS);
	if (parse_forward(arg, &o->forwards[o->nr_forwards]))
		return errbuf_set(p->err, p->errlen,
				  "--forward wants [ADDR:]HOSTPORT:GUESTPORT, "
				  "e.g. 8080:80, not '%s'",
				  arg);
	o->nr_forwards++;
	return 0;
}

static int set_cluster(struct options_parser *p, const char *arg)
{
	int rc = cluster_parse(arg, &p->o->cluster, p->err, p->errlen);

	if (!rc)
		p->o->cluster_set = true;
	return rc;
}

static int set_accel(struct options_parser *p, const char *arg)
{
	if (!strcmp(arg, "auto"))
		p->o->accel = ACCEL_AUTO;
	else if (!strcmp(arg, "kvm"))
		p->o->accel = ACCEL_KVM;
	else if (!strcmp(arg, "tcg"))
		p->o->accel = ACCEL_TCG;
	else
		return errbuf_set(p->err, p->errlen,
				  "--accel wants auto, kvm or tcg, not '%s'",
				  arg);
	return 0;
}

static int set_pin(struct options_parser *p, const char *arg)
{
	(void)arg;
	p->o->pin = true;
	return 0;
}

static int set_numa(struct options_parser *p, const char *arg)
{
	unsigned int n;

	if (parse_num(arg, 1023, &n))
		return errbuf_set(p->err, p->errlen,
				  "--numa wants a node number, not '%s'", arg);
	p->o->numa_node = (int)n;
	return 0;
}

/* The timeouts: seconds up to a week; (min) 1 where 0 would mean none. */
static int set_seconds(struct options_parser *p, const char *opt,
		       unsigned int min, unsigned int *out, const char *arg)
{
	unsigned int n;

	if (parse_num(arg, 7 * 24 * 3600, &n) || n < min)
		return errbuf_set(p->err, p->errlen,
				  "--%s wants seconds, not '%s'", opt, arg);
	*out = n;
	return 0;
}

static int set_timeout(struct options_parser *p, const char *arg)
{
	return set_seconds(p, "timeout", 0, &p->o->timeout, arg);
}

static int set_timeout_total(struct options_parser *p, const char *arg)
{
	return set_seconds(p, "timeout-total", 0, &p->o->timeout_total, arg);
}

static int set_boot_timeout(struct options_parser *p, const char *arg)
{
	return set_seconds(p, "boot-timeout", 1, &p->o->boot_timeout, arg);
}

static int set_cluster_wait(struct options_parser *p, const char *arg)
{
	return set_seconds(p, "cluster-wait", 1, &p->o->cluster_wait, arg);
}

static int set_hrt_log(struct options_parser *p, const char *arg)
{
	p->o->hrt_log = arg;
	return 0;
}

static int set_gdb(struct options_parser *p, const char *arg)
{
	unsigned int n;

	if (parse_num(arg, 65535, &n) || n == 0)
		return errbuf_set(p->err, p->errlen,
				  "--gdb wants a TCP port, not '%s'", arg);
	p->o->gdb_port = (int)n;
	return 0;
}

static int set_save_initrd(struct options_parser *p, const char *arg)
{
	p->o->save_initrd = arg;
	return 0;
}

static int set_qemu_arg(struct options_parser *p, const char *arg)
{
	struct options *o = p->o;

	if (o->nr_qemu_args >= OPTIONS_MAX_MAPS)
		return errbuf_set(p->err, p->errlen,
				  "too many --qemu-arg options (max %u)",
				  OPTIONS_MAX_MAPS);
	o->qemu_args[o->nr_qemu_args++] = arg;
	return 0;
}

static int set_kernel_arg(struct options_parser *p, const char *arg)
{
	struct options *o = p->o;

	/* One parameter per option: no spaces that would split it. */
	if (!*arg || strpbrk(arg, " \t\n"))
		return errbuf_set(p->err, p->errlen,
				  "--kernel-arg wants one parameter without "
				  "spaces, not '%s'",
				  arg);
	if (o->nr_kernel_args >= OPTIONS_MAX_MAPS)
		return errbuf_set(p->err, p->errlen,
				  "too many --kernel-arg options (max %u)",
				  OPTIONS_MAX_MAPS);
	o->kernel_args[o->nr_kernel_args++] = arg;
	return 0;
}

static int set_qemu(struct options_parser *p, const char *arg)
{
	p->o->qemu = arg;
	return 0;
}

static int set_verbose(struct options_parser *p, const char *arg)
{
	(void)arg;
	p->o->verbose++;
	return 0;
}

static int set_quiet(struct options_parser *p, const char *arg)
{
	(void)arg;
	p->o->verbose = -1;
	return 0;
}

static int show_help(struct options_parser *p, const char *arg)
{
	(void)p;
	(void)arg;
	options_help(stdout);
	return 1;
}

static int show_version(struct options_parser *p, const char *arg)
{
	(void)p;
	(void)arg;
	printf("hvm-run %s (HVM ABI %u)\n", HVM_VERSION, HVM_ABI_VERSION);
	return 1;
}

/*
 * Every option, in --help's order.  README.md's option table lists the same
 * names (tests/unit/test_options_table.c compares them).
 */
const struct option_desc options_table[] = {
	{ "cores", 0, "R:H", "ROS and HRT vCPUs (default 1:1)", set_cores },
	{ "mem", 0, "ROS:HRT",
	  "memory, K/M/G suffixes; HRT a power of two\n(default 512M:64M)",
	  set_mem },
	{ "kernel", 0, "FILE",
	  "ROS kernel (default: the Debian kernel in build/)", set_kernel },
	{ "hrt", 0, "IMAGE",
	  "HRT ELF image (default: build/hrt-kernel/hrt.elf)", set_hrt },
	{ "no-hrt", 0, NULL, "do not load hvm.ko nor boot the HRT",
	  set_no_hrt },
	{ "add", 0, "PATH[:GUEST]",
	  "copy a file or folder into the initramfs (default\n"
	  "/root/NAME); ELF files bring their shared libraries",
	  set_add },
	{ "share", 0, "DIR[:GUEST]",
	  "9p-mount a host folder (default /mnt/NAME); repeatable", set_share },
	{ "host-root", 0, NULL,
	  "run CMD in the host's root filesystem, read-only", set_host_root },
	{ "stdin", 'i', NULL,
	  "give CMD hvm-run's stdin (streamed; EOF at its end)", set_stdin },
	{ "net", 0, "none|user",
	  "none: loopback only (default); user: QEMU user\n"
	  "networking, 10.0.2.15/24, gateway 10.0.2.2, DNS 10.0.2.3",
	  set_net },
	{ "forward", 0, "[ADDR:]HOSTPORT:GUESTPORT",
	  "forward a host TCP port (on ADDR, default 127.0.0.1)\n"
	  "to a guest port; repeatable; implies --net user",
	  set_forward },
	{ "cluster", 0, "NAME:I/N",
	  "boot as node I of N (hostname nodeI, 10.66.0.I+1/24)\n"
	  "on a network of the N hvm-runs over 127.0.0.1, with\n"
	  "an ssh server; needs --host-root; see docs/cluster.md",
	  set_cluster },
	{ "cluster-wait", 0, "SECONDS",
	  "how long a node waits for node 0, and node 0 for\n"
	  "the others' ssh (default 300)",
	  set_cluster_wait },
	{ "accel", 0, "auto|kvm|tcg",
	  "accelerator (default auto: KVM only if fast)", set_accel },
	{ "pin", 0, NULL, "pin ROS and HRT vCPU threads to separate host cores",
	  set_pin },
	{ "numa", 0, "NODE", "bind HRT memory to host NUMA node NODE",
	  set_numa },
	{ "timeout", 0, "SECONDS",
	  "end the command SECONDS after it started (exit 124)", set_timeout },
	{ "timeout-total", 0, "SECS",
	  "end the whole run, boot included, after SECS (124)",
	  set_timeout_total },
	{ "boot-timeout", 0, "SECS",
	  "limit to reach guest user space (default 120)", set_boot_timeout },
	{ "hrt-log", 0, "FILE", "save the HRT log to FILE", set_hrt_log },
	{ "gdb", 0, "PORT", "QEMU gdbstub on tcp::PORT", set_gdb },
	{ "save-initrd", 0, "FILE", "also write the composed initramfs to FILE",
	  set_save_initrd },
	{ "qemu-arg", 0, "ARG",
	  "append ARG to QEMU's command line (repeatable)", set_qemu_arg },
	{ "kernel-arg", 0, "ARG",
	  "append ARG to the ROS kernel command line (repeatable)",
	  set_kernel_arg },
	{ "qemu", 0, "PATH", "QEMU binary (default qemu-system-x86_64)",
	  set_qemu },
	{ "verbose", 'v', NULL,
	  "more output: the kernel log and the HRT log; -vv also\n"
	  "QEMU's command line and its stderr",
	  set_verbose },
	{ "quiet", 'q', NULL, "only errors", set_quiet },
	{ "help", 'h', NULL, "print this help and exit", show_help },
	{ "version", 0, NULL, "print the version and the HVM ABI version",
	  show_version },
};

#define NR_OPTIONS (sizeof(options_table) / sizeof(options_table[0]))

const size_t options_table_len = NR_OPTIONS;

/* --help's option column: wider entries put their text on the next line. */
#define HELP_COL 20

void options_help(FILE *out)
{
	const struct option_desc *d;
	const char *text, *nl;
	char left[64];

	fputs(usage_head, out);
	for (d = options_table; d < options_table + NR_OPTIONS; d++) {
		if (d->short_name)
			snprintf(left, sizeof(left), "-%c, --%s", d->short_name,
				 d->name);
		else
			snprintf(left, sizeof(left), "--%s", d->name);
		if (d->arg)
			snprintf(left + strlen(left),
				 sizeof(left) - strlen(left), " %s", d->arg);
		if (strlen(left) > HELP_COL)
			fprintf(out, "  %s\n%*s", left, HELP_COL + 3, "");
		else
			fprintf(out, "  %-*s ", HELP_COL, left);
		for (text = d->help; (nl = strchr(text, '\n')); text = nl + 1)
			fprintf(out, "%.*s\n%*s", (int)(nl - text), text,
				HELP_COL + 3, "");
		fprintf(out, "%s\n", text);
	}
	fputs(usage_tail, out);
}

/* getopt_long's value for option (i): its letter, else 256 + its index. */
static int option_val(size_t i)
{
	return options_table[i].short_name ? options_table[i].short_name
					   : 256 + (int)i;
}

static const struct option_desc *option_by_val(int c)
{
	size_t i;

	for (i = 0; i < NR_OPTIONS; i++)
		if (option_val(i) == c)
			return &options_table[i];
	return NULL;
}

int options_parse(struct options *o, int argc, char **argv, char *err,
		  size_t errlen)
{
	struct options_parser p = { .o = o, .err = err, .errlen = errlen };
	struct option longopts[NR_OPTIONS + 1];
	/* "+": stop at the first non-option; ":": report a missing argument. */
	char shortopts[2 * NR_OPTIONS + 3] = "+:";
	const struct option_desc *d;
	size_t i, ns = 2;
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->ros_cpus = 1;
	o->hrt_cpus = 1;
	o->ros_mem = 512ull << 20;
	o->hrt_mem = 64ull << 20;
	o->numa_node = -1;
	o->boot_timeout = 120;
	o->cluster_wait = CLUSTER_WAIT_S;
	o->accel = ACCEL_AUTO;
	o->qemu = "qemu-system-x86_64";
	err[0] = '\0';

	memset(longopts, 0, sizeof(longopts));
	for (i = 0; i < NR_OPTIONS; i++) {
		d = &options_table[i];
		longopts[i].name = d->name;
		longopts[i].has_arg = d->arg ? required_argument : no_argument;
		longopts[i].val = option_val(i);
		if (d->short_name) {
			shortopts[ns++] = d->short_name;
			if (d->arg)
				shortopts[ns++] = ':';
		}
	}
	shortopts[ns] = '\0';

	optind = 0; /* full reset: also lets unit tests parse repeatedly */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == ':')
			return errbuf_set(err, errlen,
					  "option %s needs an argument",
					  argv[optind - 1]);
		d = option_by_val(c);
		if (!d)
			return errbuf_set(err, errlen,
					  "unknown option '%s' (see --help)",
					  argv[optind - 1]);
		rc = d->set(&p, optarg);
		if (rc)
			return rc;
	}
	if (optind < argc) {
		/* getopt stops at "--" (consumed) or at the first non-option. */
		if (optind > 0 && strcmp(argv[optind - 1], "--"))
			return errbuf_set(err, errlen,
					  "unexpected argument '%s': put the "
					  "guest command after --",
					  argv[optind]);
		o->cmd = &argv[optind];
		o->cmd_argc = argc - optind;
	}
	/*
	 * Ranks, mpirun and ssh come from the host's tree.  A node other than
	 * 0 serves the others by default, until node 0 ends.
	 */
	if (o->cluster_set && !o->host_root)
		return errbuf_set(
			err, errlen,
			"--cluster needs --host-root: the nodes run "
			"the host's programs (mpirun, ssh, dropbear)");
	/* Node 0's boot includes its wait for the other nodes' ssh. */
	if (o->cluster_set)
		o->boot_timeout += o->cluster_wait;
	if (o->cluster_set && o->cluster.node && !o->cmd) {
		static char *serve[] = { "sleep", "infinity", NULL };

		o->cmd = serve;
		o->cmd_argc = 2;
	}
	if (o->host_root && !o->cmd)
		return errbuf_set(err, errlen,
				  "--host-root needs a command after --");
	/* Forwarded ports need a network; --net none with them is a conflict. */
	if (o->nr_forwards && p.net_set && o->net == NET_NONE)
		return errbuf_set(err, errlen,
				  "--forward needs --net user, not --net none");
	if (o->nr_forwards)
		o->net = NET_USER;
	return 0;
}

void options_free(struct options *o)
{
	unsigned int i;

	for (i = 0; i < o->nr_adds; i++) {
		free(o->adds[i].host);
		free(o->adds[i].guest);
	}
	for (i = 0; i < o->nr_shares; i++) {
		free(o->shares[i].host);
		free(o->shares[i].guest);
	}
	o->nr_adds = o->nr_shares = 0;
}
