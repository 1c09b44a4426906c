// SPDX-License-Identifier: MIT
/* driver-test.c - in-guest checks and measurements for hvm.ko: bad images, bad ioctl arguments, permissions, reboots, baselines. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "hvm_uapi.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int dev(void)
{
	int fd = open(HVM_DEV_PATH, O_RDWR);

	if (fd < 0) {
		perror(HVM_DEV_PATH);
		exit(1);
	}
	return fd;
}

static void *read_file(const char *path, size_t *len)
{
	struct stat st;
	void *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		perror(path);
		exit(1);
	}
	buf = malloc(st.st_size);
	if (!buf || read(fd, buf, st.st_size) != st.st_size) {
		perror(path);
		exit(1);
	}
	close(fd);
	*len = st.st_size;
	return buf;
}

/* Load a mutated copy; it must fail with one of the expected errors. */
static void expect_reject(int fd, const char *name, const void *img, size_t len)
{
	struct hvm_load l = { .addr = (uintptr_t)img, .len = len };
	int r = ioctl(fd, HVM_IOC_LOAD, &l);

	if (r == 0) {
		check(0, name, NULL);
		printf("# accepted\n");
		return;
	}
	check(errno == ENOEXEC || errno == EFBIG || errno == EINVAL, name,
	      NULL);
	if (errno != ENOEXEC && errno != EFBIG && errno != EINVAL)
		printf("# errno %d (%s)\n", errno, strerror(errno));
}

static Elf64_Phdr *first_load(void *img)
{
	Elf64_Ehdr *eh = img;
	Elf64_Phdr *ph = (Elf64_Phdr *)((char *)img + eh->e_phoff);
	int i;

	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			return &ph[i];
	return NULL;
}

GUEST_TEST_CMD(badimages, "badimages GOOD.elf")
{
	const char *good = args[0];
	size_t len;
	char *img = read_file(good, &len), *m = malloc(len);
	int fd = dev();
	struct hvm_info before, after;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)m;
	Elf64_Phdr *ph;
	char *big;

	if (ioctl(fd, HVM_IOC_INFO, &before))
		return 1;
#define FRESH() (memcpy(m, img, len), ph = first_load(m))
	FRESH();
	expect_reject(fd, "reject: empty image", m, 0);
	expect_reject(fd, "reject: truncated to 10 bytes", m, 10);
	expect_reject(fd, "reject: truncated to half", m,
		      len / 2 > 64 ? len / 2 : 64);
	FRESH();
	m[0] = 0x7e;
	expect_reject(fd, "reject: no ELF magic", m, len);
	FRESH();
	eh->e_machine = EM_AARCH64;
	expect_reject(fd, "reject: wrong machine", m, len);
	FRESH();
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	expect_reject(fd, "reject: ELF32", m, len);
	FRESH();
	eh->e_type = ET_DYN;
	expect_reject(fd, "reject: ET_DYN", m, len);
	FRESH();
	eh->e_phoff = len - 8;
	expect_reject(fd, "reject: program headers beyond the file", m, len);
	FRESH();
	eh->e_phoff = ~0ull - 16;
	expect_reject(fd, "reject: phoff overflow", m, len);
	FRESH();
	eh->e_phnum = 0xffff;
	expect_reject(fd, "reject: absurd phnum", m, len);
	FRESH();
	eh->e_phentsize = 12;
	expect_reject(fd, "reject: wrong phentsize", m, len);
	FRESH();
	ph->p_offset = len;
	expect_reject(fd, "reject: segment data beyond the file", m, len);
	FRESH();
	ph->p_offset = ~0ull - 4;
	expect_reject(fd, "reject: p_offset overflow", m, len);
	FRESH();
	ph->p_memsz = ph->p_filesz - 1;
	expect_reject(fd, "reject: filesz > memsz", m, len);
	FRESH();
	ph->p_memsz = 1ull << 40;
	expect_reject(fd, "reject: segment larger than the region", m, len);
	FRESH();
	ph->p_memsz = ~0ull - 0x1000;
	expect_reject(fd, "reject: memsz overflow", m, len);
	FRESH();
	ph->p_memsz = before.region_size - HVM_RUN_OFF;
	expect_reject(fd, "reject: segment just larger than the run area", m,
		      len);
	FRESH();
	ph->p_vaddr = 0x0000900000000000ull;
	expect_reject(fd, "reject: non-canonical vaddr", m, len);
	FRESH();
	eh->e_entry = 0x1000;
	expect_reject(fd, "reject: entry outside every segment", m, len);
	FRESH();
	eh->e_entry += ph->p_vaddr + ph->p_memsz - eh->e_entry;
	expect_reject(fd, "reject: entry just past the segment", m, len);
	FRESH();
	eh->e_entry = eh->e_entry - ph->p_vaddr + 0xffff888000000000ull +
		      before.region_phys;
	ph->p_vaddr = 0xffff888000000000ull + before.region_phys;
	expect_reject(fd, "reject: segment inside the region's direct map", m,
		      len);
	big = calloc(1, HVM_IMAGE_SIZE + 4096);
	memcpy(big, img, len);
	expect_reject(fd, "reject: image larger than the slot", big,
		      HVM_IMAGE_SIZE + 1);
	{
		struct hvm_load l = { .addr = 0, .len = len };

		check(ioctl(fd, HVM_IOC_LOAD, &l) && errno == EFAULT,
		      "reject: NULL image pointer", NULL);
		l.addr = (uintptr_t)img;
		l.flags = 1;
		check(ioctl(fd, HVM_IOC_LOAD, &l) && errno == EINVAL,
		      "reject: load flags", NULL);
	}
	if (ioctl(fd, HVM_IOC_INFO, &after))
		return 1;
	check(after.image_len == before.image_len &&
		      after.state == before.state,
	      "rejected images leave the slot and state alone", NULL);
	free(big);
	free(m);
	free(img);
	close(fd);
	return 0;
}

GUEST_TEST(badargs)
{
	int fd = dev();
	struct hvm_boot b;
	struct hvm_ping p;
	struct hvm_debug d;
	struct hvm_log_read lr;
	uint64_t v;
	char small[4];

	check(ioctl(fd, _IO(HVM_IOC_MAGIC, 0x7f)) && errno == ENOTTY,
	      "badarg: unknown ioctl", NULL);
	check(ioctl(fd, HVM_IOC_INFO, NULL) && errno == EFAULT,
	      "badarg: info NULL", NULL);
	check(ioctl(fd, HVM_IOC_STATS, (void *)1) && errno == EFAULT,
	      "badarg: stats bad pointer", NULL);
	check(ioctl(fd, HVM_IOC_REBOOT, NULL) && errno == EFAULT,
	      "badarg: reboot NULL", NULL);
	memset(&b, 0, sizeof(b));
	b.flags = 1ull << 40;
	check(ioctl(fd, HVM_IOC_REBOOT, &b) && errno == EINVAL,
	      "badarg: boot flags", NULL);
	memset(&b, 0, sizeof(b));
	b.reserved[2] = 1;
	check(ioctl(fd, HVM_IOC_REBOOT, &b) && errno == EINVAL,
	      "badarg: boot reserved", NULL);
	memset(&b, 0, sizeof(b));
	memset(b.cmdline, 'x', sizeof(b.cmdline));
	check(ioctl(fd, HVM_IOC_REBOOT, &b) && errno == EINVAL,
	      "badarg: cmdline without NUL", NULL);
	memset(&b, 0, sizeof(b));
	b.timeout_ms = 0xffffffffu;
	check(ioctl(fd, HVM_IOC_REBOOT, &b) && errno == EINVAL,
	      "badarg: absurd timeout", NULL);
	memset(&b, 0, sizeof(b));
	check(ioctl(fd, HVM_IOC_BOOT, &b) && errno == EBUSY,
	      "badarg: boot while running is EBUSY", NULL);
	memset(&p, 0, sizeof(p));
	p.mode = 7;
	check(ioctl(fd, HVM_IOC_PING, &p) && errno == EINVAL,
	      "badarg: ping mode", NULL);
	memset(&p, 0, sizeof(p));
	p.hrt_cpu = 999;
	check(ioctl(fd, HVM_IOC_PING, &p) && errno == EINVAL,
	      "badarg: ping core", NULL);
	memset(&d, 0, sizeof(d));
	d.op = 99;
	check(ioctl(fd, HVM_IOC_DEBUG, &d) && errno == EINVAL,
	      "badarg: debug op", NULL);
	d.op = HVM_DEBUG_HANG;
	d.hrt_cpu = 64;
	check(ioctl(fd, HVM_IOC_DEBUG, &d) && errno == EINVAL,
	      "badarg: debug core", NULL);
	memset(&lr, 0, sizeof(lr));
	lr.len = HVM_LOG_READ_MAX + 1;
	check(ioctl(fd, HVM_IOC_LOG_READ, &lr) && errno == EINVAL,
	      "badarg: log length", NULL);
	memset(&lr, 0, sizeof(lr));
	lr.len = 4096;
	lr.buf = 8;
	check(ioctl(fd, HVM_IOC_LOG_READ, &lr) && errno == EFAULT,
	      "badarg: log bad buffer", NULL);
	memset(&lr, 0, sizeof(lr));
	lr.pos = ~0ull;
	lr.len = 16;
	lr.buf = (uintptr_t)&v;
	check(ioctl(fd, HVM_IOC_LOG_READ, &lr) == 0 && lr.copied <= 16,
	      "badarg: log position past head", NULL);
	check(read(fd, small, sizeof(small)) < 0 && errno == EINVAL,
	      "badarg: short read", NULL);
	close(fd);
	return 0;
}

static int open_as(uid_t uid, gid_t gid)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		gid_t groups[1] = { gid };

		if (setgroups(1, groups) || setgid(gid) || setuid(uid))
			_exit(100);
		if (open(HVM_DEV_PATH, O_RDWR) >= 0)
			_exit(0);
		_exit(errno == EPERM || errno == EACCES ? 1 : 101);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int cmd_unpriv(int group)
{
	if (group < 0) {
		check(open_as(65534, 65534) == 1,
		      "unprivileged user denied /dev/hvm", NULL);
	} else {
		check(open_as(65534, group) == 0,
		      "member of group= may open /dev/hvm", NULL);
		check(open_as(65534, 65534) == 1, "non-member still denied",
		      NULL);
	}
	return 0;
}

GUEST_TEST(unpriv)
{
	return cmd_unpriv(-1);
}

GUEST_TEST_CMD(unpriv_group, "unpriv-group GID")
{
	return cmd_unpriv(atoi(args[0]));
}

/*
 * A descriptor opened by root keeps what it grants after the process drops
 * to an unprivileged uid (Linux checks at open): a new open is refused,
 * the old descriptor still binds, opens channels and reboots the HRT.
 */
GUEST_TEST_CMD(unpriv_keep, "unpriv-keep")
{
	int fd = dev(), st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		struct hvm_bind bd;
		struct hvm_chan_open o;
		struct hvm_boot b;
		int bad = 0;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(100);
		if (open(HVM_DEV_PATH, O_RDWR) >= 0 ||
		    (errno != EPERM && errno != EACCES))
			bad |= 1;
		memset(&bd, 0, sizeof(bd));
		if (ioctl(fd, HVM_IOC_BIND, &bd))
			bad |= 2;
		memset(&o, 0, sizeof(o));
		if (ioctl(fd, HVM_IOC_CHAN_OPEN, &o))
			bad |= 4;
		memset(&b, 0, sizeof(b));
		if (ioctl(fd, HVM_IOC_REBOOT, &b))
			bad |= 8;
		_exit(bad);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		st = -1;
	else
		st = WEXITSTATUS(st);
	check(st == 0 || st == 1,
	      "after a drop to uid 65534: bind, channel open and reboot "
	      "through root's descriptor still work",
	      NULL);
	check(st == 0, "after the drop: a new open of /dev/hvm is refused",
	      NULL);
	if (st)
		printf("# child status %d\n", st);
	close(fd);
	return 0;
}

static int wait_state(int fd, uint32_t want, int ms)
{
	struct hvm_info in;

	for (; ms > 0; ms -= 50) {
		if (ioctl(fd, HVM_IOC_INFO, &in))
			return -1;
		if (in.state == want)
			return 0;
		usleep(50000);
	}
	return -1;
}

/* N reboots; every fourth from a hang, every fourth+1 from a crash. */
GUEST_TEST_CMD(reboots, "reboots N INJECT")
{
	int n = atoi(args[0]), inject = atoi(args[1]);
	int fd = dev(), i, bad = 0, hung = 0, crashed = 0;
	uint64_t min = ~0ull, max = 0, sum = 0;

	for (i = 0; i < n; i++) {
		struct hvm_boot b;
		struct hvm_debug d;

		memset(&d, 0, sizeof(d));
		if (inject && i % 4 == 1) {
			d.op = HVM_DEBUG_HANG;
			if (ioctl(fd, HVM_IOC_DEBUG, &d) ||
			    wait_state(fd, HVM_HRT_HUNG, 15000)) {
				printf("# reboot %d: HRT did not become hung\n",
				       i);
				bad++;
			} else {
				hung++;
			}
		} else if (inject && i % 4 == 2) {
			d.op = HVM_DEBUG_CRASH;
			if (ioctl(fd, HVM_IOC_DEBUG, &d) ||
			    wait_state(fd, HVM_HRT_CRASHED, 5000)) {
				printf("# reboot %d: HRT did not report a crash\n",
				       i);
				bad++;
			} else {
				crashed++;
			}
		}
		memset(&b, 0, sizeof(b));
		if (ioctl(fd, HVM_IOC_REBOOT, &b)) {
			printf("# reboot %d failed: %s\n", i, strerror(errno));
			bad++;
			continue;
		}
		sum += b.boot_ns;
		min = b.boot_ns < min ? b.boot_ns : min;
		max = b.boot_ns > max ? b.boot_ns : max;
	}
	printf("# %d reboots (%d from hung, %d from crashed): min %llu us, mean %llu us, max %llu us\n",
	       n, hung, crashed, (unsigned long long)min / 1000,
	       (unsigned long long)(n ? sum / n / 1000 : 0),
	       (unsigned long long)max / 1000);
	close(fd);
	return bad != 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *v, int n)
{
	uint64_t sum = 0;
	int i;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		sum += v[i];
	printf("%s: n=%d min=%llu median=%llu mean=%llu ns\n", what, n,
	       (unsigned long long)v[0], (unsigned long long)v[n / 2],
	       (unsigned long long)(sum / n));
}

/* Times fork+exec+wait of this program as "driver-test true". */
GUEST_TEST_CMD(forkexec, "forkexec N")
{
	const char *self = "/proc/self/exe";
	int n = atoi(args[0]);
	uint64_t *v = calloc(n, sizeof(*v));
	int i;

	for (i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			execl(self, self, "true", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, &st, 0);
		v[i] = now_ns() - t0;
	}
	report("fork+exec+wait of a static true", v, n);
	free(v);
	return 0;
}

static int efd[2];
static int pp_n;

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void *pong(void *arg)
{
	uint64_t x;
	int i;

	(void)arg;
	pin(1);
	for (i = 0; i < pp_n; i++) {
		if (read(efd[0], &x, 8) != 8 || write(efd[1], &x, 8) != 8)
			break;
	}
	return NULL;
}

GUEST_TEST_CMD(eventfd, "eventfd N")
{
	int n = atoi(args[0]);
	uint64_t *v = calloc(n, sizeof(*v)), x = 1;
	pthread_t t;
	int i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("eventfd ping-pong: needs 2 ROS CPUs, skipped\n");
		return 0;
	}
	efd[0] = eventfd(0, 0);
	efd[1] = eventfd(0, 0);
	pp_n = n;
	pthread_create(&t, NULL, pong, NULL);
	pin(0);
	for (i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		if (write(efd[0], &x, 8) != 8 || read(efd[1], &x, 8) != 8)
			return 1;
		v[i] = now_ns() - t0;
	}
	pthread_join(t, NULL);
	report("eventfd ping-pong between ROS threads on CPUs 0 and 1", v, n);
	free(v);
	return 0;
}

/* Events: poll() wakes after a ping's interrupt and read() returns the count. */
GUEST_TEST(poll)
{
	int fd = dev();
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct hvm_ping p;
	uint64_t c1 = 0, c2 = 0;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (read(fd, &c1, 8) == 8)
		;
	memset(&p, 0, sizeof(p));
	p.mode = HVM_PING_IPI;
	if (ioctl(fd, HVM_IOC_PING, &p)) {
		check(0, "poll: ping for an event", NULL);
		return 1;
	}
	check(poll(&pfd, 1, 2000) == 1 && (pfd.revents & POLLIN),
	      "poll reports the HRT interrupt", NULL);
	check(read(fd, &c2, 8) == 8 && c2 > c1,
	      "read returns a larger event count", NULL);
	check(read(fd, &c2, 8) < 0 && errno == EAGAIN,
	      "no new event: read is EAGAIN", NULL);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct guest_test_config cfg = { .mode = GUEST_STEP };

	/* forkexec's child, not a test: a static true. */
	if (argc >= 2 && !strcmp(argv[1], "true"))
		return 0;
	return guest_test_main(argc, argv, &cfg);
}
