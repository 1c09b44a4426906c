// SPDX-License-Identifier: MIT
/* session.c - libhvm's session: binding, core choice, channels, stacks. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "async.h"
#include "partner.h"
#include "hvm.h"
#include "hvm_chan.h"
#include "hvm_uapi.h"
#include "prof.h"
#include "session.h"
#include "signals.h"

#define HVM_EXPORT __attribute__((visibility("default")))

/*
 * Invocation stacks: as large as Linux gives a thread, populated on
 * demand (forwarded faults) but for the top HVM_STACK_WARM bytes, with one
 * PROT_NONE guard page below.  HVM_STACK_SIZE in the environment or
 * hrt_opts.stack_size choose another size.
 */
#define HVM_STACK_SIZE (8u << 20)
#define HVM_STACK_MIN  (64u << 10)
#define HVM_STACK_MAX  (1ul << 30)
#define HVM_STACK_WARM (64u << 10)
#define HVM_GUARD_SIZE 4096u

/*
 * Raw system calls: the invocation path must not touch errno, because in
 * synchronous mode the offloaded function shares this thread's TLS and the
 * errno it leaves is the caller's result.
 */
long hvm_sys(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

long hvm_ioctl(int fd, unsigned long cmd, void *arg)
{
	return hvm_sys(SYS_ioctl, fd, cmd, (long)arg, 0, 0, 0);
}

/* ------------------------------------------------------------ session */

static pthread_mutex_t hvm_lock = PTHREAD_MUTEX_INITIALIZER;
int hvm_fd = -1;
struct hvm_chan_area *hvm_area;
unsigned int hvm_ncores;
static unsigned int hvm_rr; /* round-robin core choice */
/* HVM_CORES: the cores automatic choices rotate over (all when unset). */
static uint8_t hvm_core_set[HVM_MAX_HRT_CPUS];
static unsigned int hvm_core_count;
unsigned int hvm_ctx;
static unsigned int hvm_gen; /* bumped per open: stale TLS channels die */
/* Per channel: its invocation stack (top) and usable size. */
static uint64_t hvm_stack_top[HVM_CHAN_MAX];
static size_t hvm_stack_len[HVM_CHAN_MAX];
static size_t hvm_stack_default; /* HVM_STACK_SIZE or the environment's */
/* HVM_FUTEX=hrt: the process's private futexes are the HRT's alone. */
bool hvm_futex_hrt;
static pthread_key_t hvm_key;
static pthread_once_t hvm_key_once = PTHREAD_ONCE_INIT;

/* Per thread: its channel to each core, as index + 1 (0 = none). */
struct hvm_tls {
	unsigned int gen;
	uint16_t chan[HVM_MAX_HRT_CPUS];
	uint8_t busy[HVM_MAX_HRT_CPUS]; /* a call on that channel is under way */
};
static __thread struct hvm_tls hvm_tls;

/* Unmaps channel (idx)'s invocation stack, if it has one. */
static void hvm_stack_free(int idx)
{
	if (!hvm_stack_top[idx])
		return;
	hvm_sys(SYS_munmap,
		(long)(hvm_stack_top[idx] - hvm_stack_len[idx] -
		       HVM_GUARD_SIZE),
		(long)(hvm_stack_len[idx] + HVM_GUARD_SIZE), 0, 0, 0, 0);
	hvm_stack_top[idx] = 0;
	hvm_stack_len[idx] = 0;
}

/* Maps a (len)-byte invocation stack for channel (idx); 0 or -ENOMEM. */
static int hvm_stack_alloc(int idx, size_t len)
{
	char *m;

	m = mmap(NULL, len + HVM_GUARD_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1,
		 0);
	if (m == MAP_FAILED)
		return -ENOMEM;
	/* Overflow must fault, not run into whatever lies below. */
	if (mprotect(m, HVM_GUARD_SIZE, PROT_NONE)) {
		munmap(m, len + HVM_GUARD_SIZE);
		return -ENOMEM;
	}
	/* The top is used at once: spare the first calls their faults. */
	madvise(m + HVM_GUARD_SIZE + len - HVM_STACK_WARM, HVM_STACK_WARM,
		MADV_POPULATE_WRITE);
	hvm_stack_top[idx] = (uint64_t)m + len + HVM_GUARD_SIZE;
	hvm_stack_len[idx] = len;
	return 0;
}

static void hvm_chan_close(int idx)
{
	struct hvm_chan_ref r = { .index = (uint32_t)idx };

	hvm_ioctl(hvm_fd, HVM_IOC_CHAN_CLOSE, &r);
	hvm_stack_free(idx);
}

/* Thread exit: give this thread's channels back (if still this session). */
static void hvm_tls_dtor(void *p)
{
	unsigned int i;

	(void)p;
	pthread_mutex_lock(&hvm_lock);
	if (hvm_fd >= 0 && hvm_tls.gen == hvm_gen)
		for (i = 0; i < HVM_MAX_HRT_CPUS; i++)
			if (hvm_tls.chan[i])
				hvm_chan_close(hvm_tls.chan[i] - 1);
	memset(&hvm_tls, 0, sizeof(hvm_tls));
	pthread_mutex_unlock(&hvm_lock);
}

static int hvm_parse_size(const char *s, size_t *len);

/*
 * A forked child has no binding (the channel area is not inherited, the
 * partner threads do not exist there): it starts a session of its own.
 */
static void hvm_atfork_child(void)
{
	hvm_fork_child_reset();
}

/* Also the first thing a child that HRT code forked does (raw calls only). */
void hvm_fork_child_reset(void)
{
	unsigned int i;

	pthread_mutex_init(&hvm_lock, NULL);
	if (hvm_fd >= 0)
		hvm_sys(SYS_close, hvm_fd, 0, 0, 0, 0, 0);
	hvm_fd = -1;
	hvm_area = NULL;
	hvm_gen++;
	/* The stacks are the parent's business (copies here, unused). */
	memset(hvm_stack_top, 0, sizeof(hvm_stack_top));
	memset(hvm_stack_len, 0, sizeof(hvm_stack_len));
	for (i = 0; i < HVM_MAX_HRT_CPUS; i++)
		hvm_partners_forget(i);
	hvm_pool_forget();
	hvm_prof_atfork_child();
	hvm_sig_forget();
	hvm_nt_forget();
}

static void hvm_key_init(void)
{
	pthread_key_create(&hvm_key, hvm_tls_dtor);
	pthread_atfork(NULL, NULL, hvm_atfork_child);
}

/*
 * Parses HVM_CORES (s), a list like "0,2-3" of HRT core indexes below
 * (ncores), into hvm_core_set.  Returns 0 or -EINVAL.
 */
static int hvm_parse_cores(const char *s, unsigned int ncores)
{
	bool seen[HVM_MAX_HRT_CPUS] = { false };
	unsigned long a, b;
	char *end;

	hvm_core_count = 0;
	while (*s) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -EINVAL;
			b = strtoul(end + 1, &end, 10);
		}
		if (a > b || b >= ncores || (*end && *end != ','))
			return -EINVAL;
		for (; a <= b; a++)
			if (!seen[a]) {
				seen[a] = true;
				hvm_core_set[hvm_core_count++] = (uint8_t)a;
			}
		s = *end ? end + 1 : end;
	}
	return hvm_core_count ? 0 : -EINVAL;
}

void hvm_set_futex_hrt(bool on)
{
	hvm_futex_hrt = on;
}

/* Per HRT core: this process's code running or living there now. */
static unsigned int hvm_core_load[HVM_MAX_HRT_CPUS];

void hvm_core_busy(unsigned int core, int delta)
{
	__atomic_add_fetch(&hvm_core_load[core], (unsigned int)delta,
			   __ATOMIC_RELAXED);
}

bool hvm_core_allowed(uint64_t core)
{
	unsigned int i;

	if (core >= hvm_ncores)
		return false;
	if (!hvm_core_count)
		return true;
	for (i = 0; i < hvm_core_count; i++)
		if (hvm_core_set[i] == core)
			return true;
	return false;
}

unsigned int hvm_next_core(void)
{
	unsigned int n = __atomic_fetch_add(&hvm_rr, 1, __ATOMIC_RELAXED);
	unsigned int count = hvm_core_count ? hvm_core_count : hvm_ncores;
	unsigned int i, core, load, best = 0, best_load = ~0u;

	/*
	 * The least loaded core, round robin among equals: threads that spin
	 * for each other (OpenMP barriers) must not share a core while
	 * another has none.
	 */
	for (i = 0; i < count; i++) {
		core = hvm_core_count ? hvm_core_set[(n + i) % count]
				      : (n + i) % count;
		load = __atomic_load_n(&hvm_core_load[core], __ATOMIC_RELAXED);
		if (load < best_load) {
			best = core;
			best_load = load;
		}
	}
	return best;
}

static int hvm_open_locked(void)
{
	struct hvm_info info;
	struct hvm_bind b;
	struct timespec ts;
	void *map;
	int fd, ret;

	if (hvm_fd >= 0)
		return 0;
	hvm_stack_default = HVM_STACK_SIZE;
	if (getenv("HVM_STACK_SIZE") &&
	    hvm_parse_size(getenv("HVM_STACK_SIZE"), &hvm_stack_default))
		return -EINVAL;
	fd = open(HVM_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENXIO ? -ENOENT
		       : errno == EPERM			 ? -EACCES
							 : -errno;
	if (ioctl(fd, HVM_IOC_INFO, &info)) {
		ret = -errno;
		goto close_fd;
	}
	if (info.abi_version != HVM_ABI_VERSION) {
		ret = -EPROTO;
		goto close_fd;
	}
	if (info.state != HVM_HRT_READY || !info.hrt_cpus) {
		ret = -ENODEV;
		goto close_fd;
	}
	if (getenv("HVM_FUTEX") && !strcmp(getenv("HVM_FUTEX"), "hrt"))
		hvm_futex_hrt = true;
	if (getenv("HVM_PARTNER_POOL")) {
		char *end;
		unsigned long n = strtoul(getenv("HVM_PARTNER_POOL"), &end, 10);

		if (*end || n > HVM_POOL_MAX) {
			ret = -EINVAL;
			goto close_fd;
		}
		hvm_pool_size = (unsigned int)n;
	}
	hvm_core_count = 0;
	if (getenv("HVM_CORES") &&
	    hvm_parse_cores(getenv("HVM_CORES"), info.hrt_cpus)) {
		ret = -EINVAL;
		goto close_fd;
	}
	map = mmap(NULL, HVM_CHAN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0);
	if (map == MAP_FAILED) {
		ret = -errno;
		goto close_fd;
	}
	memset(&b, 0, sizeof(b));
	if (ioctl(fd, HVM_IOC_BIND, &b)) {
		ret = -errno;
		munmap(map, HVM_CHAN_SIZE);
		goto close_fd;
	}
	/*
	 * The vDSO's data pages are VM_PFNMAP: a forwarded fault could not
	 * populate them, so have Linux map them now by using them once.
	 */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	clock_gettime(CLOCK_REALTIME, &ts);
	(void)time(NULL);
	hvm_fd = fd;
	hvm_area = map;
	hvm_ctx = b.ctx;
	hvm_ncores = info.hrt_cpus;
	hvm_gen++;
	/* Best effort: a ring that cannot be mapped leaves profiling off. */
	hvm_prof_open(info.tsc_khz);
	pthread_once(&hvm_key_once, hvm_key_init);
	return 0;

close_fd:
	close(fd);
	return ret;
}

HVM_EXPORT int hrt_open(void)
{
	int ret, saved = errno;

	pthread_mutex_lock(&hvm_lock);
	ret = hvm_open_locked();
	pthread_mutex_unlock(&hvm_lock);
	errno = saved;
	return ret;
}

HVM_EXPORT void hrt_close(void)
{
	int saved = errno;

	hvm_partners_stop();
	hvm_pool_stop();
	pthread_mutex_lock(&hvm_lock);
	if (hvm_fd >= 0) {
		/* The driver aborts what still runs and frees every channel. */
		close(hvm_fd);
		munmap(hvm_area, HVM_CHAN_SIZE);
		for (int i = 0; i < (int)HVM_CHAN_MAX; i++)
			hvm_stack_free(i);
		hvm_fd = -1;
		hvm_area = NULL;
		hvm_gen++;
	}
	pthread_mutex_unlock(&hvm_lock);
	errno = saved;
}

HVM_EXPORT int hrt_info(struct hrt_info *out)
{
	struct hvm_info in;
	int ret, saved = errno;

	if (!out)
		return -EINVAL;
	ret = hrt_open();
	if (ret)
		return ret;
	if (ioctl(hvm_fd, HVM_IOC_INFO, &in))
		ret = -errno;
	if (!ret) {
		memset(out, 0, sizeof(*out));
		out->abi_version = in.abi_version;
		out->hrt_cores = in.hrt_cpus;
		out->hrt_state = in.state;
		out->boot_count = in.boot_count;
		out->hrt_mem_bytes = in.mem_size;
		out->tsc_khz = in.tsc_khz;
	}
	errno = saved;
	return ret;
}

/* Opens a channel to (core) with its own invocation stack. */
static int hvm_chan_open_locked(unsigned int core)
{
	struct hvm_chan_open o = { .core = core };
	struct hvm_chan_ref ref;
	long r;

	r = hvm_ioctl(hvm_fd, HVM_IOC_CHAN_OPEN, &o);
	if (r < 0)
		return (int)r;
	r = hvm_stack_alloc((int)o.index, hvm_stack_default);
	if (r) {
		ref.index = o.index;
		ref.reserved = 0;
		hvm_ioctl(hvm_fd, HVM_IOC_CHAN_CLOSE, &ref);
		return (int)r;
	}
	return (int)o.index;
}

/*
 * Parses a stack size (bytes, or with a K/M/G suffix) into (*len): 0, or
 * -EINVAL when it is malformed or outside HVM_STACK_MIN..HVM_STACK_MAX.
 */
static int hvm_parse_size(const char *s, size_t *len)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end || v < HVM_STACK_MIN || v > HVM_STACK_MAX)
		return -EINVAL;
	*len = (v + 4095) & ~4095ull;
	return 0;
}

/* Closes the calling thread's channel (idx) to (core): it is not reusable. */
void hvm_thread_chan_drop(unsigned int core, int idx)
{
	pthread_mutex_lock(&hvm_lock);
	if (hvm_fd >= 0 && hvm_tls.gen == hvm_gen &&
	    hvm_tls.chan[core] == idx + 1) {
		hvm_chan_close(idx);
		hvm_tls.chan[core] = 0;
	}
	pthread_mutex_unlock(&hvm_lock);
}

/* The calling thread's channel to (core), opened on first use. */
int hvm_thread_chan(unsigned int core)
{
	int idx, ret;

	if (hvm_tls.gen == hvm_gen && hvm_tls.chan[core]) {
		if (!hvm_tls.busy[core])
			return hvm_tls.chan[core] - 1;
		/* Left by siglongjmp: its call may still run there. */
		hvm_thread_chan_drop(core, hvm_tls.chan[core] - 1);
		hvm_tls.busy[core] = 0;
	}
	pthread_mutex_lock(&hvm_lock);
	ret = hvm_open_locked();
	if (ret) {
		pthread_mutex_unlock(&hvm_lock);
		return ret;
	}
	if (hvm_tls.gen != hvm_gen) {
		memset(&hvm_tls, 0, sizeof(hvm_tls));
		hvm_tls.gen = hvm_gen;
	}
	idx = hvm_chan_open_locked(core);
	if (idx >= 0) {
		hvm_tls.chan[core] = (uint16_t)(idx + 1);
		pthread_setspecific(hvm_key, &hvm_tls);
	}
	pthread_mutex_unlock(&hvm_lock);
	return idx;
}

int hvm_pick_core(const struct hrt_opts *o)
{
	if (o && o->core >= 0)
		return (unsigned int)o->core < hvm_ncores ? o->core : -EINVAL;
	return (int)hvm_next_core();
}

void hvm_thread_chan_release(int idx)
{
	pthread_mutex_lock(&hvm_lock);
	if (hvm_fd >= 0 && hvm_tls.gen == hvm_gen)
		for (unsigned int i = 0; i < HVM_MAX_HRT_CPUS; i++)
			if (hvm_tls.chan[i] == idx + 1) {
				hvm_chan_close(idx);
				hvm_tls.chan[i] = 0;
			}
	pthread_mutex_unlock(&hvm_lock);
}

void hvm_thread_busy(unsigned int core, bool busy)
{
	hvm_tls.busy[core] = busy;
}

int hvm_chan_stack_set(int idx, size_t size)
{
	size_t len = (size + 4095) & ~(size_t)4095;

	if (len < HVM_STACK_MIN || len > HVM_STACK_MAX)
		return -EINVAL;
	if (len == hvm_stack_len[idx])
		return 0;
	hvm_stack_free(idx);
	return hvm_stack_alloc(idx, len) ? -ENOMEM : 0;
}

uint64_t hvm_chan_stack_top(int idx)
{
	return hvm_stack_top[idx];
}
