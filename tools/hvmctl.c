// SPDX-License-Identifier: MIT
/* hvmctl.c - command-line control of hvm.ko: status, boot, reboot, stop, load, log, stats, ping, debug. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hvm_uapi.h"

/* Exit codes (documented in usage and docs/ros-driver.md). */
enum {
	EX_OK = 0,
	EX_FAIL = 1,	 /* the operation failed */
	EX_USAGE = 2,	 /* bad command line */
	EX_NODEV = 3,	 /* /dev/hvm missing or not permitted */
	EX_NOTREADY = 4, /* status: the HRT is not ready */
	EX_TIMEOUT = 5,	 /* boot, reboot or ping timed out */
};

static const char usage_text[] =
	"usage: hvmctl COMMAND [ARGS]\n"
	"  status                      state, cores, memory, heartbeat (exit 4 unless ready)\n"
	"  boot [BOOTOPTS]             boot the HRT from the image slot\n"
	"  reboot [BOOTOPTS]           stop the HRT (any state) and boot it again\n"
	"  stop                        stop all HRT cores (INIT)\n"
	"  load IMAGE                  validate IMAGE and put it in the image slot\n"
	"  log [-f]                    print the HRT log (-f: follow)\n"
	"  stats                       driver counters, free channel/context slots\n"
	"  ping [-i] [-n N] [-c CORE]  interrupt round trip (-i: HRT answers by direct IPI,\n"
	"                              default: by the ivshmem doorbell / MSI-X)\n"
	"  debug hang|crash [-c CORE]  make the HRT hang or crash (for tests)\n"
	"BOOTOPTS: [-s|--selftest] [-t|--timeout MS] [--cmdline STRING]\n"
	"exit: 0 ok, 1 failed, 2 usage, 3 no /dev/hvm or permission denied,\n"
	"      4 HRT not ready (status), 5 timed out\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return EX_USAGE;
}

static int dev_open(void)
{
	int fd = open(HVM_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "hvmctl: cannot open %s: %s%s\n", HVM_DEV_PATH,
			strerror(errno),
			errno == ENOENT ? " (is hvm.ko loaded?)" : "");
	return fd;
}

static int err_exit(const char *what)
{
	int e = errno;

	fprintf(stderr, "hvmctl: %s: %s\n", what, strerror(e));
	return e == ETIMEDOUT ? EX_TIMEOUT : EX_FAIL;
}

static int cmd_status(int fd)
{
	struct hvm_info in;
	unsigned int i;

	if (ioctl(fd, HVM_IOC_INFO, &in))
		return err_exit("info");
	printf("state: %s\n", hvm_hrt_state_name(in.state));
	if (in.state == HVM_HRT_HUNG)
		printf("note: the HRT is hung (its heartbeat stopped); hvmctl reboot restarts it\n");
	else if (in.state == HVM_HRT_CRASHED)
		printf("note: the HRT crashed (error %d); hvmctl reboot restarts it\n",
		       in.last_error);
	else if (in.state == HVM_HRT_FAILED)
		printf("note: the last boot failed: %s\n",
		       strerror(-in.last_error));
	printf("abi_version: %u\n", in.abi_version);
	printf("boot_count: %u\n", in.boot_count);
	printf("last_error: %d\n", in.last_error);
	printf("ros_cpus: %u\n", in.ros_cpus);
	printf("hrt_cpus: %u\n", in.hrt_cpus);
	printf("hrt_apic_ids:");
	for (i = 0; i < in.hrt_cpus && i < HVM_MAX_HRT_CPUS; i++)
		printf(" %u", in.hrt_apic_ids[i]);
	printf("\nhrt_linux_cpus:");
	for (i = 0; i < in.hrt_cpus && i < HVM_MAX_HRT_CPUS; i++)
		printf(" %u", in.hrt_linux_cpus[i]);
	printf("\nregion: %#llx size %llu MiB\n",
	       (unsigned long long)in.region_phys,
	       (unsigned long long)in.region_size >> 20);
	printf("kernel: %#llx-%#llx\n", (unsigned long long)in.kernel_phys,
	       (unsigned long long)in.kernel_end);
	printf("hrt_memory: %#llx size %llu MiB\n",
	       (unsigned long long)in.mem_phys,
	       (unsigned long long)in.mem_size >> 20);
	printf("image: %llu of %llu bytes\n", (unsigned long long)in.image_len,
	       (unsigned long long)in.image_size);
	printf("heartbeat: %llu\n", (unsigned long long)in.heartbeat);
	printf("tsc_khz: %llu\n", (unsigned long long)in.tsc_khz);
	printf("interrupts: %s, vector %#x on APIC %u\n",
	       in.flags & HVM_INFO_MSIX ? "msi-x" : "none", in.irq_vector,
	       in.irq_apic_id);
	return in.state == HVM_HRT_READY ? EX_OK : EX_NOTREADY;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int cmd_boot(int fd, int argc, char **argv, int reboot)
{
	static const struct option opts[] = {
		{ "selftest", no_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "cmdline", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvm_boot b;
	int c;

	memset(&b, 0, sizeof(b));
	optind = 1;
	while ((c = getopt_long(argc, argv, "st:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			b.flags |= HVM_BOOTF_SELFTEST;
			break;
		case 't':
			if (parse_u32(optarg, &b.timeout_ms))
				return usage();
			break;
		case 'C':
			if (strlen(optarg) >= sizeof(b.cmdline)) {
				fprintf(stderr,
					"hvmctl: --cmdline longer than %zu bytes\n",
					sizeof(b.cmdline) - 1);
				return EX_USAGE;
			}
			strcpy(b.cmdline, optarg);
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (ioctl(fd, reboot ? HVM_IOC_REBOOT : HVM_IOC_BOOT, &b))
		return err_exit(reboot ? "reboot" : "boot");
	printf("hrt ready in %llu us\n", (unsigned long long)b.boot_ns / 1000);
	return EX_OK;
}

static int cmd_load(int fd, const char *path)
{
	struct hvm_load l;
	struct stat st;
	void *buf;
	ssize_t n;
	int ifd, ret;

	ifd = open(path, O_RDONLY | O_CLOEXEC);
	if (ifd < 0 || fstat(ifd, &st)) {
		fprintf(stderr, "hvmctl: %s: %s\n", path, strerror(errno));
		return EX_FAIL;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > HVM_IMAGE_SIZE) {
		fprintf(stderr,
			"hvmctl: %s: %lld bytes; the slot takes 1..%llu\n",
			path, (long long)st.st_size,
			(unsigned long long)HVM_IMAGE_SIZE);
		close(ifd);
		return EX_FAIL;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		close(ifd);
		return err_exit("malloc");
	}
	n = read(ifd, buf, st.st_size);
	close(ifd);
	if (n != st.st_size) {
		fprintf(stderr, "hvmctl: %s: short read\n", path);
		free(buf);
		return EX_FAIL;
	}
	memset(&l, 0, sizeof(l));
	l.addr = (uintptr_t)buf;
	l.len = st.st_size;
	ret = ioctl(fd, HVM_IOC_LOAD, &l)
		      ? err_exit("load (see dmesg for the reason)")
		      : EX_OK;
	if (ret == EX_OK)
		printf("loaded %s (%lld bytes)\n", path, (long long)st.st_size);
	free(buf);
	return ret;
}

static int cmd_log(int fd, int follow)
{
	static char buf[HVM_LOG_READ_MAX];
	struct hvm_log_read lr;
	uint64_t pos = 0;

	for (;;) {
		memset(&lr, 0, sizeof(lr));
		lr.pos = pos;
		lr.buf = (uintptr_t)buf;
		lr.len = sizeof(buf);
		if (ioctl(fd, HVM_IOC_LOG_READ, &lr))
			return err_exit("log");
		if (lr.lost)
			fprintf(stderr, "hvmctl: %llu log bytes lost\n",
				(unsigned long long)lr.lost);
		if (lr.copied && fwrite(buf, 1, lr.copied, stdout) != lr.copied)
			return EX_FAIL;
		pos = lr.pos;
		if (lr.copied == lr.len)
			continue;
		if (!follow)
			return EX_OK;
		fflush(stdout);
		usleep(100000);
	}
}

/* Prints "name: value" from hvm.ko's sysfs counter (name), if it has one. */
static void print_sysfs(const char *name)
{
	char path[128], buf[64];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/hvm/hrt/%s", name);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f))
		printf("%s: %s", name, buf);
	fclose(f);
}

static int cmd_stats(int fd)
{
	struct hvm_stats s;

	if (ioctl(fd, HVM_IOC_STATS, &s))
		return err_exit("stats");
#define P(f) printf("%s: %llu\n", #f, (unsigned long long)s.f)
	P(boots);
	P(boot_failures);
	P(reboots);
	P(loads);
	P(load_rejects);
	P(last_boot_ns);
	P(min_boot_ns);
	P(max_boot_ns);
	printf("irqs: %llu %llu %llu %llu\n", (unsigned long long)s.irqs[0],
	       (unsigned long long)s.irqs[1], (unsigned long long)s.irqs[2],
	       (unsigned long long)s.irqs[3]);
	P(events);
	P(pings);
	P(ping_timeouts);
	P(last_ping_ns);
	P(hung_detected);
	P(crashes_seen);
	P(heartbeat);
	/*
	 * Slots: channels free and retired (an aborted call never ended),
	 * contexts free; TLB flushes that timed out waiting for an HRT core.
	 */
	print_sysfs("chan_free");
	print_sysfs("chan_retired");
	print_sysfs("ctx_free");
	print_sysfs("flush_timeouts");
	P(hrt.invocations);
	P(hrt.threads_created);
	P(hrt.futex_local_wakes);
	P(hrt.futex_forwarded);
	P(hrt.fwd_sleeps);
	P(hrt.cr3_loads);
	P(hrt.signals);
	P(hrt.resched_ipis);
	P(hrt.tick_preempts);
	P(hrt.futex_sleeps);
	P(hrt.pml4_syncs);
	P(hrt.tlb_flushes);
	P(hrt.msr_writes);
	P(hrt.irqs);
	P(hrt.kick_ipis);
	P(hrt.ros_irqs);
	P(hrt.fwd_calls);
	P(hrt.fwd_faults);
	P(hrt.native_threads);
	P(api_objects);
	P(native_live);
	P(irqoff_ended);
	P(irqoff_nmis);
	printf("hrt_mem_bytes: %llu (2 MiB pages)\n",
	       (unsigned long long)s.hrt_mem_bytes);
#undef P
	return EX_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_ping(int fd, int argc, char **argv)
{
	uint32_t n = 1, core = 0, i, mode = HVM_PING_DOORBELL;
	uint64_t *rtt, sum = 0;
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "in:c:")) != -1) {
		switch (c) {
		case 'i':
			mode = HVM_PING_IPI;
			break;
		case 'n':
			if (parse_u32(optarg, &n) || n == 0 || n > 1000000)
				return usage();
			break;
		case 'c':
			if (parse_u32(optarg, &core))
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	rtt = calloc(n, sizeof(*rtt));
	if (!rtt)
		return err_exit("calloc");
	for (i = 0; i < n; i++) {
		struct hvm_ping p;

		memset(&p, 0, sizeof(p));
		p.mode = mode;
		p.hrt_cpu = core;
		if (ioctl(fd, HVM_IOC_PING, &p)) {
			int ret = err_exit("ping");

			free(rtt);
			return ret;
		}
		rtt[i] = p.rtt_ns;
		sum += p.rtt_ns;
	}
	qsort(rtt, n, sizeof(*rtt), cmp_u64);
	printf("ping %s core %u: %u round trips, min %llu ns, median %llu ns, mean %llu ns, max %llu ns\n",
	       mode == HVM_PING_IPI ? "ipi" : "doorbell", core, n,
	       (unsigned long long)rtt[0], (unsigned long long)rtt[n / 2],
	       (unsigned long long)(sum / n), (unsigned long long)rtt[n - 1]);
	free(rtt);
	return EX_OK;
}

static int cmd_debug(int fd, int argc, char **argv)
{
	struct hvm_debug d;
	int c;

	memset(&d, 0, sizeof(d));
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "hang"))
		d.op = HVM_DEBUG_HANG;
	else if (!strcmp(argv[1], "crash"))
		d.op = HVM_DEBUG_CRASH;
	else
		return usage();
	optind = 2;
	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c' || parse_u32(optarg, &d.hrt_cpu))
			return usage();
	}
	if (optind != argc)
		return usage();
	if (ioctl(fd, HVM_IOC_DEBUG, &d))
		return err_exit("debug");
	return EX_OK;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int fd, ret;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return argc < 2 ? usage() : (fputs(usage_text, stdout), EX_OK);
	cmd = argv[1];
	if (strcmp(cmd, "status") && strcmp(cmd, "boot") &&
	    strcmp(cmd, "reboot") && strcmp(cmd, "stop") &&
	    strcmp(cmd, "load") && strcmp(cmd, "log") && strcmp(cmd, "stats") &&
	    strcmp(cmd, "ping") && strcmp(cmd, "debug")) {
		fprintf(stderr, "hvmctl: unknown command '%s'\n", cmd);
		return usage();
	}
	if ((!strcmp(cmd, "load") && argc != 3) ||
	    ((!strcmp(cmd, "status") || !strcmp(cmd, "stop") ||
	      !strcmp(cmd, "stats")) &&
	     argc != 2) ||
	    (!strcmp(cmd, "log") &&
	     (argc > 3 || (argc == 3 && strcmp(argv[2], "-f")))))
		return usage();
	fd = dev_open();
	if (fd < 0)
		return EX_NODEV;
	if (!strcmp(cmd, "status"))
		ret = cmd_status(fd);
	else if (!strcmp(cmd, "boot") || !strcmp(cmd, "reboot"))
		ret = cmd_boot(fd, argc - 1, argv + 1, !strcmp(cmd, "reboot"));
	else if (!strcmp(cmd, "stop"))
		ret = ioctl(fd, HVM_IOC_STOP) ? err_exit("stop") : EX_OK;
	else if (!strcmp(cmd, "load"))
		ret = cmd_load(fd, argv[2]);
	else if (!strcmp(cmd, "log"))
		ret = cmd_log(fd, argc == 3);
	else if (!strcmp(cmd, "stats"))
		ret = cmd_stats(fd);
	else if (!strcmp(cmd, "ping"))
		ret = cmd_ping(fd, argc - 1, argv + 1);
	else
		ret = cmd_debug(fd, argc - 1, argv + 1);
	close(fd);
	return ret;
}
