/* hvm.c - libhvm: binding, channels, invocation and the forwarding service for offloaded functions. */
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

#include "forward.h"
#include "hvm.h"
#include "hvm_chan.h"
#include "hvm_uapi.h"
#include "prof.h"
#include "signals.h"

#define HVM_EXPORT __attribute__((visibility("default")))

/*
 * Invocation stacks: as large as Linux gives a thread, populated on
 * demand (forwarded faults) but for the top HVM_STACK_WARM bytes, with one
 * PROT_NONE guard page below.  HVM_STACK_SIZE in the environment or
 * hrt_opts.stack_size choose another size.
 */
#define HVM_STACK_SIZE (8u << 20)
#define HVM_STACK_MIN (64u << 10)
#define HVM_STACK_MAX (1ul << 30)
#define HVM_STACK_WARM (64u << 10)
#define HVM_GUARD_SIZE 4096u
/* Default spin before blocking, and how long an ABORT may take. */
#define HVM_DEFAULT_SPIN_US 50u
#define HVM_ABORT_GRACE_MS 2000u
/* Blocking waits sleep in slices so a dead HRT is noticed. */
#define HVM_WAIT_SLICE_MS 200u

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

static uint64_t hvm_now_ns(void)
{
	struct timespec ts;

	hvm_sys(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0, 0);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t hvm_fs_base(void)
{
	uint64_t fs;

	/* glibc keeps the TCB's own address at %fs:0, i.e. the FS base. */
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs));
	return fs;
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
static unsigned int hvm_ctx;
static unsigned int hvm_gen; /* bumped per open: stale TLS channels die */
/* Per channel: its invocation stack (top) and usable size. */
static uint64_t hvm_stack_top[HVM_CHAN_MAX];
static size_t hvm_stack_len[HVM_CHAN_MAX];
static size_t hvm_stack_default; /* HVM_STACK_SIZE or the environment's */
/* HVM_FUTEX=hrt: the process's private futexes are the HRT's alone. */
static bool hvm_futex_hrt;
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
		(long)(hvm_stack_top[idx] - hvm_stack_len[idx] - HVM_GUARD_SIZE),
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

static void hvm_partners_stop(void);
static int hvm_parse_size(const char *s, size_t *len);
static void hvm_partners_forget(unsigned int core);

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
	hvm_prof_atfork_child();
	hvm_sig_forget();
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
	bool seen[HVM_MAX_HRT_CPUS] = {false};
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
		core = hvm_core_count ? hvm_core_set[(n + i) % count] :
					(n + i) % count;
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
		return errno == ENOENT || errno == ENXIO ? -ENOENT :
		       errno == EPERM ? -EACCES : -errno;
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

HVM_EXPORT int hvm_open(void)
{
	int ret, saved = errno;

	pthread_mutex_lock(&hvm_lock);
	ret = hvm_open_locked();
	pthread_mutex_unlock(&hvm_lock);
	errno = saved;
	return ret;
}

HVM_EXPORT void hvm_close(void)
{
	int saved = errno;

	hvm_partners_stop();
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

HVM_EXPORT int hvm_info(struct hrt_info *out)
{
	struct hvm_info in;
	int ret, saved = errno;

	if (!out)
		return -EINVAL;
	ret = hvm_open();
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
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end || v < HVM_STACK_MIN || v > HVM_STACK_MAX)
		return -EINVAL;
	*len = (v + 4095) & ~4095ull;
	return 0;
}

/* Closes the calling thread's channel (idx) to (core): it is not reusable. */
static void hvm_thread_chan_drop(unsigned int core, int idx)
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
static int hvm_thread_chan(unsigned int core)
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

static int hvm_pick_core(const struct hrt_opts *o)
{
	if (o && o->core >= 0)
		return (unsigned int)o->core < hvm_ncores ? o->core : -EINVAL;
	return (int)hvm_next_core();
}

/* ------------------------------------------------------------ invoking */

/* Lets a possibly halted HRT core know that channel work is waiting. */
void hvm_kick(unsigned int core)
{
	struct hvm_kick k = { .core = core };

	hvm_chan_kick(hvm_area, core);
	/* The add above is a full barrier; only a halted core needs an IPI. */
	if (__atomic_load_n(&hvm_area->kick[core][2], __ATOMIC_ACQUIRE))
		hvm_ioctl(hvm_fd, HVM_IOC_KICK, &k);
}

/* Waits until evt_seq of (idx) moves past (seen), by (mode); returns it or <0. */
long long hvm_wait_event(int idx, uint64_t seen, int mode,
				uint64_t spin_ns, uint64_t deadline)
{
	struct hvm_chan *c = &hvm_area->chan[idx];
	struct hvm_chan_wait w;
	uint64_t e, t0 = 0, now;
	unsigned int n = 0;
	long r;

	if (mode != HRT_WAIT_BLOCK) {
		for (;;) {
			e = hvm_chan_events(c);
			if (e != seen)
				return (long long)e;
			hvm_cpu_relax();
			if (++n < 256)
				continue;
			n = 0;
			hvm_sig_interrupt(idx);
			now = hvm_now_ns();
			if (!t0)
				t0 = now;
			if (deadline && now >= deadline)
				return -ETIMEDOUT;
			if (mode != HRT_WAIT_POLL && now - t0 >= spin_ns)
				break;
			if (mode == HRT_WAIT_POLL && now - t0 >= 100000000ull) {
				/* A cheap check that the HRT still exists. */
				memset(&w, 0, sizeof(w));
				w.index = (uint32_t)idx;
				w.seen = seen;
				r = hvm_ioctl(hvm_fd, HVM_IOC_CHAN_WAIT, &w);
				if (r == -ECANCELED)
					return r;
				t0 = now;
			}
		}
	}
	/* Ask for interrupts, then re-check: the HRT reads flags after evt_seq. */
	__atomic_or_fetch(&c->flags, HVM_CHAN_F_NOTIFY, __ATOMIC_SEQ_CST);
	for (;;) {
		uint32_t ms = HVM_WAIT_SLICE_MS;

		e = hvm_chan_events(c);
		if (e != seen)
			return (long long)e;
		if (deadline) {
			now = hvm_now_ns();
			if (now >= deadline)
				return -ETIMEDOUT;
			if ((deadline - now) / 1000000 + 1 < ms)
				ms = (uint32_t)((deadline - now) / 1000000 + 1);
		}
		memset(&w, 0, sizeof(w));
		w.index = (uint32_t)idx;
		w.seen = seen;
		w.timeout_ms = ms;
		r = hvm_ioctl(hvm_fd, HVM_IOC_CHAN_WAIT, &w);
		if (r == 0)
			return (long long)w.events;
		if (r != -ETIMEDOUT && r != -EINTR)
			return r;
		/* A signal for the code we serve: it gets it on the HRT. */
		hvm_sig_interrupt(idx);
	}
}

/*
 * Runs one invocation on channel (idx) and serves its forwarded calls and
 * faults in this thread until it ends.  Returns the status.
 */
/* The calling thread's MXCSR and x87 control word. */
static void hvm_fp_control(uint32_t *mxcsr, uint32_t *fcw)
{
	uint16_t cw;

	__asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(*mxcsr), "=m"(cw));
	*fcw = cw;
}

/* What one invocation is: the function and the state it starts with. */
struct hvm_req {
	hrt_fn fn;
	void *arg;
	unsigned int core_index;
	uint64_t fs_base;
	uint32_t mxcsr, fcw;
	bool sync; /* the caller's own thread waits (exit() ends it) */
};

/*
 * The function ended its thread with exit(): in a synchronous call the
 * calling thread ends, as it would natively; in an async or all-core call
 * the invocation ends with -ESRCH and the code as its result.
 */
static int hvm_exited(int idx, const struct hvm_req *q, long *ret)
{
	struct hvm_chan *c = &hvm_area->chan[idx];
	long code = (long)c->args[0];

	if (ret)
		*ret = code;
	if (!q->sync)
		return -ESRCH;
	pthread_mutex_lock(&hvm_lock);
	if (hvm_fd >= 0 && hvm_tls.gen == hvm_gen)
		for (unsigned int i = 0; i < HVM_MAX_HRT_CPUS; i++)
			if (hvm_tls.chan[i] == idx + 1) {
				hvm_chan_close(idx);
				hvm_tls.chan[i] = 0;
			}
	pthread_mutex_unlock(&hvm_lock);
	/* glibc already ran the thread's cleanup, on the HRT, in this TLS. */
	for (;;)
		hvm_sys(SYS_exit, code, 0, 0, 0, 0, 0);
}

/*
 * Runs one invocation on channel (idx) and serves its forwarded calls and
 * faults in this thread until it ends.  Returns the status.
 */
static int hvm_run(int idx, const struct hvm_req *q, const struct hrt_opts *o,
		   long *ret, bool *stale)
{
	struct hvm_chan *c = &hvm_area->chan[idx];
	int mode = o ? o->wait : HRT_WAIT_DEFAULT;
	uint64_t spin_ns = (uint64_t)(o && o->spin_us ? o->spin_us :
				      HVM_DEFAULT_SPIN_US) * 1000;
	uint64_t deadline = 0, seen, nr, t_fwd = 0, t_reply = 0, id = 0;
	/* The only cost of profiling when HVM_PROF is unset. */
	bool prof = __builtin_expect(hvm_prof_ring != NULL, 0);
	bool aborted = false;
	uint32_t st;
	long long e;

	if (mode < HRT_WAIT_DEFAULT || mode > HRT_WAIT_SPIN_BLOCK)
		return -EINVAL;
	if (o && o->stack_size) {
		size_t len = (o->stack_size + 4095) & ~(size_t)4095;

		if (len < HVM_STACK_MIN || len > HVM_STACK_MAX)
			return -EINVAL;
		if (len != hvm_stack_len[idx]) {
			hvm_stack_free(idx);
			if (hvm_stack_alloc(idx, len))
				return -ENOMEM;
		}
	}
	if (o && o->timeout_ms)
		deadline = hvm_now_ns() + (uint64_t)o->timeout_ms * 1000000;
	seen = hvm_chan_events(c);
	c->fn = (uint64_t)q->fn;
	c->arg = (uint64_t)q->arg;
	c->core_index = q->core_index;
	c->stack_top = hvm_stack_top[idx];
	c->fs_base = q->fs_base;
	c->mxcsr = q->mxcsr;
	c->fcw = q->fcw;
	c->ctx = hvm_ctx;
	c->flags = (mode == HRT_WAIT_BLOCK ? HVM_CHAN_F_NOTIFY : 0) |
		   (hvm_futex_hrt ? HVM_CHAN_F_FUTEX_HRT : 0);
	if (prof)
		id = hvm_prof_new_id();
	hvm_chan_post(c, HVM_OP_INVOKE);
	hvm_kick(c->core);
	for (;;) {
		e = hvm_wait_event(idx, seen, mode, spin_ns, deadline);
		if (e == -ETIMEDOUT && !aborted) {
			/* Give up: the HRT ends fn with -ECANCELED; wait for that. */
			hvm_chan_post(c, HVM_OP_ABORT);
			hvm_kick(c->core);
			struct hvm_kick k = { .core = c->core };
			hvm_ioctl(hvm_fd, HVM_IOC_KICK, &k);
			aborted = true;
			deadline = hvm_now_ns() + HVM_ABORT_GRACE_MS * 1000000ull;
			continue;
		}
		if (e < 0) {
			/* The channel may still be busy: never reuse it. */
			*stale = true;
			return (int)e;
		}
		seen = (uint64_t)e;
		st = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
		switch (st) {
		case HVM_CHAN_SYSCALL:
		case HVM_CHAN_FAULT:
			if (prof)
				t_fwd = hvm_rdtsc();
			nr = hvm_serve(c, st, aborted, &t_reply);
			if (prof)
				hvm_prof_fwd(c->core, id,
					     st == HVM_CHAN_FAULT ? PROF_FWD_FAULT :
								    nr,
					     t_fwd, t_reply);
			break;
		case HVM_CHAN_EXIT:
			return hvm_exited(idx, q, ret);
		case HVM_CHAN_DONE:
			c->t_seen = hvm_rdtsc();
			if (prof)
				hvm_prof_call(c, id);
			if (ret)
				*ret = (long)c->result;
			if (o && o->fault && c->status == -EFAULT)
				*o->fault = c->fault;
			if (aborted && c->status == -ECANCELED)
				return -ETIMEDOUT;
			return c->status;
		default:
			break;
		}
	}
}

/*
 * hvm_run in the calling thread; a channel left in an unknown state is
 * closed (the driver aborts what may still run there and retires it if
 * need be) so the thread's next call opens a fresh one.  A call that
 * never came back (siglongjmp out of a signal handler) leaves its channel
 * marked busy: the next call closes it the same way.
 */
static int hvm_run_thread(int idx, unsigned int core, const struct hvm_req *q,
			  const struct hrt_opts *o, long *ret)
{
	bool stale = false;
	int st;

	hvm_tls.busy[core] = 1;
	hvm_sig_chan = idx;
	hvm_core_busy(core, 1);
	st = hvm_run(idx, q, o, ret, &stale);
	hvm_core_busy(core, -1);
	hvm_sig_unserve(idx);
	hvm_tls.busy[core] = 0;
	if (stale)
		hvm_thread_chan_drop(core, idx);
	return st;
}

/*
 * What every invoking entry point checks first: a function, valid options,
 * and an open, bound device (opened here on first use; a cheap test after).
 */
static int hvm_invoke_begin(hrt_fn fn, const struct hrt_opts *opts)
{
	if (!fn)
		return -EINVAL;
	if (opts && (opts->wait < HRT_WAIT_DEFAULT ||
		     opts->wait > HRT_WAIT_SPIN_BLOCK))
		return -EINVAL;
	return hvm_fd < 0 ? hvm_open() : 0;
}

HVM_EXPORT int hrt_invoke_opts(hrt_fn fn, void *arg, long *ret,
			       const struct hrt_opts *opts)
{
	struct hvm_req q = { 0 };
	int core, idx, r;

	r = hvm_invoke_begin(fn, opts);
	if (r)
		return r;
	core = hvm_pick_core(opts);
	if (core < 0)
		return core;
	idx = hvm_thread_chan((unsigned int)core);
	if (idx < 0)
		return idx;
	q.fn = fn;
	q.arg = arg;
	q.fs_base = hvm_fs_base();
	hvm_fp_control(&q.mxcsr, &q.fcw);
	q.sync = true;
	return hvm_run_thread(idx, (unsigned int)core, &q, opts, ret);
}

HVM_EXPORT int hrt_invoke(hrt_fn fn, void *arg, long *ret)
{
	return hrt_invoke_opts(fn, arg, ret, NULL);
}

/* ------------------------------------------------------------ partners */

/*
 * Asynchronous and all-core calls run on a partner thread per HRT core:
 * the function gets that thread's FS base (its own TLS and errno) and the
 * partner serves its forwarded calls, so the caller is free meanwhile.
 */
struct hrt_call {
	hrt_fn fn;
	void *arg;
	unsigned int core_index;
	uint32_t mxcsr, fcw; /* the submitting thread's */
	struct hrt_opts opts;
	struct hvm_fault fault;
	struct hvm_fault *user_fault;
	long result;
	int status;
	uint32_t done; /* futex word */
	struct hrt_call *next;
};

struct hvm_partner {
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct hrt_call *head, *tail;
	bool started, stop;
	unsigned int core;
};

static struct hvm_partner hvm_partners[HVM_MAX_HRT_CPUS];
static pthread_mutex_t hvm_partner_lock = PTHREAD_MUTEX_INITIALIZER;

static void hvm_call_done(struct hrt_call *call, int status)
{
	call->status = status;
	__atomic_store_n(&call->done, 1, __ATOMIC_RELEASE);
	hvm_sys(SYS_futex, (long)&call->done, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

static void *hvm_partner_main(void *p)
{
	struct hvm_partner *pt = p;
	struct hvm_req q = { 0 };
	struct hrt_call *call;
	int idx, st;

	for (;;) {
		pthread_mutex_lock(&pt->lock);
		while (!pt->head && !pt->stop) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&pt->cv, &pt->lock, &ts);
		}
		call = pt->head;
		if (call) {
			pt->head = call->next;
			if (!pt->head)
				pt->tail = NULL;
		}
		pthread_mutex_unlock(&pt->lock);
		if (!call)
			break; /* stop with an empty queue */
		idx = hvm_thread_chan(pt->core);
		if (idx < 0) {
			hvm_call_done(call, idx);
			continue;
		}
		call->opts.fault = &call->fault;
		q.fn = call->fn;
		q.arg = call->arg;
		q.core_index = call->core_index;
		q.fs_base = hvm_fs_base();
		q.mxcsr = call->mxcsr;
		q.fcw = call->fcw;
		q.sync = false;
		st = hvm_run_thread(idx, pt->core, &q, &call->opts,
				    &call->result);
		hvm_call_done(call, st);
	}
	return NULL;
}

static int hvm_submit(unsigned int core, struct hrt_call *call)
{
	struct hvm_partner *pt = &hvm_partners[core];
	int ret = 0;

	pthread_mutex_lock(&hvm_partner_lock);
	if (!pt->started) {
		pthread_mutex_init(&pt->lock, NULL);
		pthread_cond_init(&pt->cv, NULL);
		pt->core = core;
		pt->stop = false;
		pt->head = pt->tail = NULL;
		ret = -pthread_create(&pt->th, NULL, hvm_partner_main, pt);
		pt->started = !ret;
	}
	pthread_mutex_unlock(&hvm_partner_lock);
	if (ret)
		return ret;
	pthread_mutex_lock(&pt->lock);
	call->next = NULL;
	if (pt->tail)
		pt->tail->next = call;
	else
		pt->head = call;
	pt->tail = call;
	pthread_cond_signal(&pt->cv);
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

static void hvm_partners_forget(unsigned int core)
{
	hvm_partners[core].started = false;
	pthread_mutex_init(&hvm_partner_lock, NULL);
}

static void hvm_partners_stop(void)
{
	unsigned int i;

	pthread_mutex_lock(&hvm_partner_lock);
	for (i = 0; i < HVM_MAX_HRT_CPUS; i++) {
		struct hvm_partner *pt = &hvm_partners[i];

		if (!pt->started)
			continue;
		pthread_mutex_lock(&pt->lock);
		pt->stop = true;
		pthread_cond_signal(&pt->cv);
		pthread_mutex_unlock(&pt->lock);
		/* Queued calls finish first; each has its own timeout. */
		pthread_join(pt->th, NULL);
		pt->started = false;
	}
	pthread_mutex_unlock(&hvm_partner_lock);
}

static struct hrt_call *hvm_call_new(hrt_fn fn, void *arg,
				     unsigned int core_index,
				     const struct hrt_opts *opts)
{
	struct hrt_call *call = calloc(1, sizeof(*call));

	if (!call)
		return NULL;
	call->fn = fn;
	call->arg = arg;
	call->core_index = core_index;
	hvm_fp_control(&call->mxcsr, &call->fcw);
	if (opts) {
		call->opts = *opts;
		call->user_fault = opts->fault;
	} else {
		call->opts.core = -1;
	}
	return call;
}

HVM_EXPORT int hrt_invoke_async(hrt_fn fn, void *arg,
				const struct hrt_opts *opts,
				struct hrt_call **out)
{
	struct hrt_call *call;
	int core, ret, saved = errno;

	if (!out)
		return -EINVAL;
	ret = hvm_invoke_begin(fn, opts);
	if (ret)
		return ret;
	core = hvm_pick_core(opts);
	if (core < 0)
		return core;
	call = hvm_call_new(fn, arg, 0, opts);
	if (!call)
		return -ENOMEM;
	ret = hvm_submit((unsigned int)core, call);
	if (ret) {
		free(call);
		errno = saved;
		return ret;
	}
	*out = call;
	errno = saved;
	return 0;
}

HVM_EXPORT int hrt_poll(struct hrt_call *call)
{
	if (!call)
		return -EINVAL;
	return __atomic_load_n(&call->done, __ATOMIC_ACQUIRE) ? 0 : -EAGAIN;
}

/* Sleeps until (call) is done; the partner's own timeout bounds it. */
static void hvm_call_wait(struct hrt_call *call)
{
	struct timespec ts = { .tv_sec = 1 };

	while (!__atomic_load_n(&call->done, __ATOMIC_ACQUIRE))
		hvm_sys(SYS_futex, (long)&call->done, FUTEX_WAIT_PRIVATE, 0,
			(long)&ts, 0, 0);
}

HVM_EXPORT int hrt_wait(struct hrt_call *call, long *ret)
{
	int st;

	if (!call)
		return -EINVAL;
	hvm_call_wait(call);
	if (ret)
		*ret = call->result;
	if (call->user_fault && call->status == -EFAULT)
		*call->user_fault = call->fault;
	st = call->status;
	free(call);
	return st;
}

HVM_EXPORT int hrt_invoke_all(hrt_fn fn, void *arg, unsigned int ncores,
			      long *rets, const struct hrt_opts *opts)
{
	struct hrt_call *calls[HVM_MAX_HRT_CPUS];
	unsigned int i, n;
	int ret, first = 0, saved = errno;

	ret = hvm_invoke_begin(fn, opts);
	if (ret)
		return ret;
	n = ncores ? ncores : hvm_ncores;
	if (n > hvm_ncores)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		calls[i] = hvm_call_new(fn, arg, i, opts);
		if (!calls[i] || (ret = hvm_submit(i, calls[i]))) {
			free(calls[i]);
			first = calls[i] ? ret : -ENOMEM;
			n = i;
			break;
		}
		calls[i]->user_fault = NULL; /* one fault record cannot take n */
	}
	for (i = 0; i < n; i++) {
		hvm_call_wait(calls[i]);
		if (rets)
			rets[i] = calls[i]->result;
		if (calls[i]->status && !first) {
			first = calls[i]->status;
			if (opts && opts->fault && first == -EFAULT)
				*opts->fault = calls[i]->fault;
		}
		free(calls[i]);
	}
	errno = saved;
	return first ? first : (int)n;
}
