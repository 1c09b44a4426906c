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

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	/* strtoull would skip blanks and accept a sign: digits only. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'i' || *end == 'B' || *end == 'b') {
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	}
	if (*end || v == 0)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_uint(const char *s, size_t len, unsigned int *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 9)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = (unsigned int)v;
	return 0;
}

int parse_cores(const char *s, unsigned int *ros, unsigned int *hrt)
{
	const char *colon;

	if (!s || !(colon = strchr(s, ':')))
		return -EINVAL;
	if (parse_uint(s, (size_t)(colon - s), ros) ||
	    parse_uint(colon + 1, strlen(colon + 1), hrt))
		return -EINVAL;
	return 0;
}

int parse_mem(const char *s, uint64_t *ros, uint64_t *hrt)
{
	char buf[64];
	char *colon;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (parse_size(buf, ros) || parse_size(colon + 1, hrt))
		return -EINVAL;
	return 0;
}

int parse_path_map(const char *s, const char *def_dir, struct path_map *map)
{
	const char *colon;
	char *tmp;

	if (!s || !*s)
		return -EINVAL;
	colon = strrchr(s, ':');
	if (colon) {
		if (colon == s || !colon[1] || colon[1] != '/')
			return -EINVAL;
		map->host = strndup(s, (size_t)(colon - s));
		map->guest = strdup(colon + 1);
	} else if (def_dir) {
		tmp = strdup(s);
		if (!tmp)
			return -ENOMEM;
		if (asprintf(&map->guest, "%s/%s", def_dir, basename(tmp)) < 0)
			map->guest = NULL;
		free(tmp);
		map->host = strdup(s);
	} else {
		map->host = strdup(s);
		map->guest = strdup(s);
	}
	if (!map->host || !map->guest) {
		free(map->host);
		free(map->guest);
		return -ENOMEM;
	}
	return 0;
}

int parse_forward(const char *s, struct port_forward *f)
{
	const char *last, *first;
	struct in_addr a;
	size_t alen;

	if (!s || !(last = strrchr(s, ':')))
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	first = last;
	while (first > s && first[-1] != ':')
		first--;
	if (parse_uint(first, (size_t)(last - first), &f->host_port) ||
	    parse_uint(last + 1, strlen(last + 1), &f->guest_port) ||
	    !f->host_port || f->host_port > 65535 || !f->guest_port ||
	    f->guest_port > 65535)
		return -EINVAL;
	strcpy(f->addr, "127.0.0.1");
	if (first == s)
		return 0;
	alen = (size_t)(first - 1 - s);
	if (alen == 0 || alen >= sizeof(f->addr))
		return -EINVAL;
	memcpy(f->addr, s, alen);
	f->addr[alen] = '\0';
	return inet_pton(AF_INET, f->addr, &a) == 1 ? 0 : -EINVAL;
}

static const char usage[] =
	"usage: hvm-run [OPTIONS] [-- CMD ARGS...]\n"
	"Boots one VM split between a Linux ROS and the HRT aerokernel and "
	"runs CMD\n"
	"in the ROS (a shell when CMD is absent: see below).\n"
	"\n"
	"  --cores R:H          ROS and HRT vCPUs (default 1:1)\n"
	"  --mem ROS:HRT        memory, K/M/G suffixes; HRT a power of two\n"
	"                       (default 512M:64M)\n"
	"  --kernel FILE        ROS kernel (default: the Debian kernel in "
	"build/)\n"
	"  --hrt IMAGE          HRT ELF image (default: "
	"build/hrt-kernel/hrt.elf)\n"
	"  --no-hrt             do not load hvm.ko nor boot the HRT\n"
	"  --add PATH[:GUEST]   copy a file or folder into the initramfs "
	"(default\n"
	"                       /root/NAME); ELF files bring their shared "
	"libraries\n"
	"  --share DIR[:GUEST]  9p-mount a host folder (default /mnt/NAME); "
	"repeatable\n"
	"  --host-root          run CMD in the host's root filesystem, "
	"read-only\n"
	"  -i, --stdin          give CMD hvm-run's stdin (streamed; EOF at its "
	"end)\n"
	"  --net none|user      none: loopback only (default); user: QEMU "
	"user\n"
	"                       networking, 10.0.2.15/24, gateway 10.0.2.2, "
	"DNS 10.0.2.3\n"
	"  --forward [ADDR:]HOSTPORT:GUESTPORT\n"
	"                       forward a host TCP port (on ADDR, default "
	"127.0.0.1)\n"
	"                       to a guest port; repeatable; implies --net "
	"user\n"
	"  --accel auto|kvm|tcg accelerator (default auto: KVM only if fast)\n"
	"  --pin                pin ROS and HRT vCPU threads to separate host "
	"cores\n"
	"  --numa NODE          bind HRT memory to host NUMA node NODE\n"
	"  --timeout SECONDS    end the command SECONDS after it started "
	"(exit 124)\n"
	"  --timeout-total SECS end the whole run, boot included, after SECS "
	"(124)\n"
	"  --boot-timeout SECS  limit to reach guest user space (default 120)\n"
	"  --hrt-log FILE       save the HRT log to FILE\n"
	"  --gdb PORT           QEMU gdbstub on tcp::PORT\n"
	"  --save-initrd FILE   also write the composed initramfs to FILE\n"
	"  --qemu-arg ARG       append ARG to QEMU's command line "
	"(repeatable)\n"
	"  --kernel-arg ARG     append ARG to the ROS kernel command line "
	"(repeatable)\n"
	"  --qemu PATH          QEMU binary (default qemu-system-x86_64)\n"
	"  -v, -q               more / less output (-v streams the HRT log)\n"
	"  -h, --help, --version\n"
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

enum {
	OPT_CORES = 256,
	OPT_MEM,
	OPT_KERNEL,
	OPT_HRT,
	OPT_NO_HRT,
	OPT_ADD,
	OPT_SHARE,
	OPT_HOST_ROOT,
	OPT_ACCEL,
	OPT_PIN,
	OPT_NUMA,
	OPT_TIMEOUT,
	OPT_BOOT_TIMEOUT,
	OPT_HRT_LOG,
	OPT_GDB,
	OPT_QEMU,
	OPT_VERSION,
	OPT_SAVE_INITRD,
	OPT_QEMU_ARG,
	OPT_KERNEL_ARG,
	OPT_NET,
	OPT_FORWARD,
	OPT_TIMEOUT_TOTAL,
};

static const struct option longopts[] = {
	{"cores", required_argument, NULL, OPT_CORES},
	{"mem", required_argument, NULL, OPT_MEM},
	{"kernel", required_argument, NULL, OPT_KERNEL},
	{"hrt", required_argument, NULL, OPT_HRT},
	{"no-hrt", no_argument, NULL, OPT_NO_HRT},
	{"add", required_argument, NULL, OPT_ADD},
	{"share", required_argument, NULL, OPT_SHARE},
	{"host-root", no_argument, NULL, OPT_HOST_ROOT},
	{"accel", required_argument, NULL, OPT_ACCEL},
	{"pin", no_argument, NULL, OPT_PIN},
	{"numa", required_argument, NULL, OPT_NUMA},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"boot-timeout", required_argument, NULL, OPT_BOOT_TIMEOUT},
	{"hrt-log", required_argument, NULL, OPT_HRT_LOG},
	{"gdb", required_argument, NULL, OPT_GDB},
	{"qemu", required_argument, NULL, OPT_QEMU},
	{"save-initrd", required_argument, NULL, OPT_SAVE_INITRD},
	{"qemu-arg", required_argument, NULL, OPT_QEMU_ARG},
	{"kernel-arg", required_argument, NULL, OPT_KERNEL_ARG},
	{"stdin", no_argument, NULL, 'i'},
	{"net", required_argument, NULL, OPT_NET},
	{"forward", required_argument, NULL, OPT_FORWARD},
	{"timeout-total", required_argument, NULL, OPT_TIMEOUT_TOTAL},
	{"verbose", no_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static int parse_num(const char *s, unsigned int max, unsigned int *out)
{
	return parse_uint(s, strlen(s), out) || *out > max ? -EINVAL : 0;
}

int options_parse(struct options *o, int argc, char **argv, char *err,
		  size_t errlen)
{
	bool net_set = false;
	unsigned int n;
	int c;

	memset(o, 0, sizeof(*o));
	o->ros_cpus = 1;
	o->hrt_cpus = 1;
	o->ros_mem = 512ull << 20;
	o->hrt_mem = 64ull << 20;
	o->numa_node = -1;
	o->boot_timeout = 120;
	o->accel = ACCEL_AUTO;
	o->qemu = "qemu-system-x86_64";
	err[0] = '\0';

	optind = 0; /* full reset: also lets unit tests parse repeatedly */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:ivqh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CORES:
			if (parse_cores(optarg, &o->ros_cpus, &o->hrt_cpus))
				return errbuf_set(
					err, errlen,
					"--cores wants R:H, e.g. 1:1, not '%s'",
					optarg);
			break;
		case OPT_MEM:
			if (parse_mem(optarg, &o->ros_mem, &o->hrt_mem))
				return errbuf_set(err, errlen,
						  "--mem wants ROS:HRT sizes, "
						  "e.g. 512M:64M, not '%s'",
						  optarg);
			break;
		case OPT_KERNEL:
			o->kernel = optarg;
			break;
		case OPT_HRT:
			o->hrt_image = optarg;
			break;
		case OPT_NO_HRT:
			o->no_hrt = true;
			break;
		case OPT_ADD:
		case OPT_SHARE: {
			bool add = c == OPT_ADD;
			struct path_map *m = add ? &o->adds[o->nr_adds]
						 : &o->shares[o->nr_shares];
			unsigned int *nr = add ? &o->nr_adds : &o->nr_shares;

			if (*nr >= OPTIONS_MAX_MAPS)
				return errbuf_set(
					err, errlen,
					"too many --%s options (max %u)",
					add ? "add" : "share",
					OPTIONS_MAX_MAPS);
			if (parse_path_map(optarg, add ? "/root" : "/mnt", m))
				return errbuf_set(
					err, errlen,
					"--%s wants HOSTPATH[:/GUESTPATH], not "
					"'%s'",
					add ? "add" : "share", optarg);
			(*nr)++;
			break;
		}
		case OPT_HOST_ROOT:
			o->host_root = true;
			break;
		case OPT_ACCEL:
			if (!strcmp(optarg, "auto"))
				o->accel = ACCEL_AUTO;
			else if (!strcmp(optarg, "kvm"))
				o->accel = ACCEL_KVM;
			else if (!strcmp(optarg, "tcg"))
				o->accel = ACCEL_TCG;
			else
				return errbuf_set(err, errlen,
						  "--accel wants auto, kvm or "
						  "tcg, not '%s'",
						  optarg);
			break;
		case OPT_PIN:
			o->pin = true;
			break;
		case OPT_NUMA:
			if (parse_num(optarg, 1023, &n))
				return errbuf_set(
					err, errlen,
					"--numa wants a node number, not '%s'",
					optarg);
			o->numa_node = (int)n;
			break;
		case OPT_TIMEOUT:
		case OPT_BOOT_TIMEOUT:
		case OPT_TIMEOUT_TOTAL:
			if (parse_num(optarg, 7 * 24 * 3600, &n) ||
			    (c == OPT_BOOT_TIMEOUT && n == 0))
				return errbuf_set(
					err, errlen,
					"--%s wants seconds, not '%s'",
					c == OPT_TIMEOUT ? "timeout"
					: c == OPT_BOOT_TIMEOUT
						? "boot-timeout"
						: "timeout-total",
					optarg);
			if (c == OPT_TIMEOUT)
				o->timeout = n;
			else if (c == OPT_BOOT_TIMEOUT)
				o->boot_timeout = n;
			else
				o->timeout_total = n;
			break;
		case 'i':
			o->stdin_cmd = true;
			break;
		case OPT_NET:
			if (!strcmp(optarg, "user"))
				o->net = NET_USER;
			else if (!strcmp(optarg, "none"))
				o->net = NET_NONE;
			else
				return errbuf_set(err, errlen,
						  "--net wants none or user, "
						  "not '%s'",
						  optarg);
			net_set = true;
			break;
		case OPT_FORWARD:
			if (o->nr_forwards >= OPTIONS_MAX_FORWARDS)
				return errbuf_set(
					err, errlen,
					"too many --forward options (max %u)",
					OPTIONS_MAX_FORWARDS);
			if (parse_forward(optarg, &o->forwards[o->nr_forwards]))
				return errbuf_set(
					err, errlen,
					"--forward wants "
					"[ADDR:]HOSTPORT:GUESTPORT, e.g. "
					"8080:80, not '%s'",
					optarg);
			o->nr_forwards++;
			break;
		case OPT_HRT_LOG:
			o->hrt_log = optarg;
			break;
		case OPT_GDB:
			if (parse_num(optarg, 65535, &n) || n == 0)
				return errbuf_set(
					err, errlen,
					"--gdb wants a TCP port, not '%s'",
					optarg);
			o->gdb_port = (int)n;
			break;
		case OPT_QEMU:
			o->qemu = optarg;
			break;
		case OPT_SAVE_INITRD:
			o->save_initrd = optarg;
			break;
		case OPT_QEMU_ARG:
			if (o->nr_qemu_args >= OPTIONS_MAX_MAPS)
				return errbuf_set(
					err, errlen,
					"too many --qemu-arg options (max %u)",
					OPTIONS_MAX_MAPS);
			o->qemu_args[o->nr_qemu_args++] = optarg;
			break;
		case OPT_KERNEL_ARG:
			/* One parameter per option: no spaces that would split
			 * it. */
			if (!*optarg || strpbrk(optarg, " \t\n"))
				return errbuf_set(
					err, errlen,
					"--kernel-arg wants one parameter "
					"without spaces, not '%s'",
					optarg);
			if (o->nr_kernel_args >= OPTIONS_MAX_MAPS)
				return errbuf_set(err, errlen,
						  "too many --kernel-arg "
						  "options (max %u)",
						  OPTIONS_MAX_MAPS);
			o->kernel_args[o->nr_kernel_args++] = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'q':
			o->verbose = -1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case OPT_VERSION:
			printf("hvm-run %s (HVM ABI %u)\n", HVM_VERSION,
			       HVM_ABI_VERSION);
			return 1;
		case ':':
			return errbuf_set(err, errlen,
					  "option %s needs an argument",
					  argv[optind - 1]);
		default:
			return errbuf_set(err, errlen,
					  "unknown option '%s' (see --help)",
					  argv[optind - 1]);
		}
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
	if (o->host_root && !o->cmd)
		return errbuf_set(err, errlen,
				  "--host-root needs a command after --");
	/* Forwarded ports need a network; --net none with them is a conflict. */
	if (o->nr_forwards && net_set && o->net == NET_NONE)
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
