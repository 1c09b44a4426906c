// SPDX-License-Identifier: MIT
/* memdiff.c - differential memory campaign: random mmap/munmap/mprotect/mremap/madvise/msync/fork/brk and writes, every page checked against a model after each step. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE	 4096
#define NREG	 6 /* regions per thread */
#define MAXPG	 4 /* pages per region, mremap may double it */
#define MAXTHR	 4
#define ANON_PRV 0
#define ANON_SHR 1
#define FILE_PRV 2
#define FILE_SHR 3

/*
 * The model of one region: where it is, its protection, and per page the
 * word at offset 0 a read must see (pages of a file past its end fault
 * with SIGBUS).  A file's own contents are modelled per file page in
 * fval, which shared mappings write through and private ones copy.
 */
struct region {
	char *base;
	int npages, prot, kind, fd, fpages;
	uint64_t val[2 * MAXPG];
	uint64_t fval[2 * MAXPG];
	int cow[2 * MAXPG]; /* private file page written: own copy */
};

struct worker {
	int id;
	uint64_t rng, digest;
	long ops, checks, mismatches, faults;
	struct region r[NREG];
	char dir[64];
	pthread_t t;
};

static long nops = 2000;
static int verbose, nthr = 1;
static const char *tmpdir = "/tmp";

static __thread sigjmp_buf jb;
static __thread volatile int armed, got_sig, got_code;
static __thread void *volatile got_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	got_sig = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	siglongjmp(jb, 1);
}

static uint64_t rnd(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static void mix(struct worker *w, uint64_t v)
{
	w->digest = (w->digest ^ v) * 0x100000001b3ull;
}

/* Reads (or, write, stores v into) the word at p: 0 or the signal. */
static int probe(void *p, int write, uint64_t v, uint64_t *out)
{
	got_sig = 0;
	got_code = 0;
	if (sigsetjmp(jb, 0) == 0) {
		armed = 1;
		if (write)
			*(volatile uint64_t *)p = v;
		else
			*out = *(volatile uint64_t *)p;
	}
	armed = 0;
	return got_sig;
}

static void mismatch(struct worker *w, const char *what, long op, int page,
		     const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void mismatch(struct worker *w, const char *what, long op, int page,
		     const char *fmt, ...)
{
	va_list ap;

	w->mismatches++;
	printf("memdiff: thread %d op %ld %s page %d: ", w->id, op, what, page);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* What an access to page (i) of (r) must do: 0, or signal and code. */
static int expect(const struct region *r, int i, int write, int *code)
{
	/* A shared anonymous mapping is a shmem object of its first size. */
	if (r->kind != ANON_PRV && i >= r->fpages &&
	    !(r->kind == FILE_PRV && r->cow[i])) {
		if (!(r->prot & (write ? PROT_WRITE : PROT_READ)))
			goto accerr;
		*code = BUS_ADRERR;
		return SIGBUS;
	}
	if (r->prot & (write ? PROT_WRITE : PROT_READ))
		return 0;
accerr:
	*code = SEGV_ACCERR;
	return SIGSEGV;
}

/* Every page of region (k): contents and protection as modelled. */
static void check_region(struct worker *w, int k, long op)
{
	struct region *r = &w->r[k];
	uint64_t v = 0;
	int i, sig, want, code;

	for (i = 0; i < r->npages; i++) {
		char *p = r->base + (long)i * PAGE;

		want = expect(r, i, 0, &code);
		sig = probe(p, 0, 0, &v);
		w->checks++;
		mix(w, ((uint64_t)sig << 8) | (uint64_t)got_code);
		if (sig)
			w->faults++;
		if (sig != want || (sig && (got_code != code || got_addr != p)))
			mismatch(
				w, "read", op, i,
				"signal %d code %d (want %d code %d; kind %d, %d pages, file %d pages)",
				sig, got_code, want, want ? code : 0, r->kind,
				r->npages, r->fpages);
		else if (!sig && v != r->val[i])
			mismatch(w, "read", op, i, "%#lx (want %#lx)",
				 (unsigned long)v, (unsigned long)r->val[i]);
		/* A write that must fault must not change anything. */
		want = expect(r, i, 1, &code);
		if (want) {
			sig = probe(p, 1, 0xbad, NULL);
			w->checks++;
			if (sig)
				w->faults++;
			if (sig != want || got_code != code)
				mismatch(w, "write", op, i,
					 "signal %d code %d (want %d code %d)",
					 sig, got_code, want, code);
		}
	}
}

/* The range just unmapped: every page must fault with SEGV_MAPERR. */
static void check_gone(struct worker *w, char *base, int n, long op)
{
	uint64_t v;

	for (int i = 0; i < n; i++) {
		int sig = probe(base + (long)i * PAGE, 0, 0, &v);

		w->checks++;
		if (sig)
			w->faults++;
		if (sig != SIGSEGV || got_code != SEGV_MAPERR)
			mismatch(w, "after munmap", op, i,
				 "signal %d code %d (want SIGSEGV MAPERR)", sig,
				 got_code);
	}
}

static void do_map(struct worker *w, struct region *r, long op)
{
	int flags, n = 1 + (int)(rnd(w) % MAXPG);
	char path[96];

	memset(r, 0, sizeof(*r));
	r->kind = (int)(rnd(w) % 4);
	r->npages = n;
	r->prot = PROT_READ | PROT_WRITE;
	r->fd = -1;
	r->fpages = n;
	flags = (r->kind == ANON_SHR || r->kind == FILE_SHR) ? MAP_SHARED
							     : MAP_PRIVATE;
	if (rnd(w) % 4 == 0)
		flags |= MAP_POPULATE;
	if (r->kind >= FILE_PRV) {
		snprintf(path, sizeof(path), "%s/memdiff.%d.%d.%ld", w->dir,
			 (int)getpid(), w->id, op);
		r->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		unlink(path);
		/* Sometimes a page short: the last page is past the end. */
		r->fpages = n - (n > 1 && rnd(w) % 3 == 0);
		if (r->fd < 0 || ftruncate(r->fd, (off_t)r->fpages * PAGE)) {
			perror("memdiff: file");
			exit(2);
		}
		r->base =
			mmap(NULL, (size_t)n * PAGE, r->prot, flags, r->fd, 0);
	} else {
		r->base = mmap(NULL, (size_t)n * PAGE, r->prot,
			       flags | MAP_ANONYMOUS, -1, 0);
	}
	if (r->base == MAP_FAILED) {
		perror("memdiff: mmap");
		exit(2);
	}
	mix(w, (uint64_t)(r->kind * 16 + n));
}

static void do_unmap(struct worker *w, struct region *r, long op)
{
	/* The whole region, or its tail. */
	int keep = r->npages > 1 && rnd(w) % 2
			   ? 1 + (int)(rnd(w) % (uint64_t)(r->npages - 1))
			   : 0;
	char *gone = r->base + (long)keep * PAGE;
	int n = r->npages - keep;

	munmap(gone, (size_t)n * PAGE);
	/* Alone: no other thread may map the range again meanwhile. */
	if (nthr == 1)
		check_gone(w, gone, n, op);
	r->npages = keep;
	if (!keep) {
		if (r->fd >= 0)
			close(r->fd);
		r->base = NULL;
	}
	mix(w, (uint64_t)keep);
}

static void do_write(struct worker *w, struct region *r, long op)
{
	int i = (int)(rnd(w) % (uint64_t)r->npages), code;
	uint64_t v = (rnd(w) | 1) & 0xffffffffffffull;

	if (expect(r, i, 1, &code))
		return; /* checked by check_region */
	if (probe(r->base + (long)i * PAGE, 1, v, NULL)) {
		mismatch(w, "write", op, i, "signal %d code %d", got_sig,
			 got_code);
		return;
	}
	r->val[i] = v;
	if (r->kind == FILE_SHR || r->kind == ANON_SHR)
		r->fval[i] =
			v; /* the object keeps it: a regrown page shows it */
	if (r->kind == FILE_PRV)
		r->cow[i] = 1;
	mix(w, (uint64_t)i);
}

static void do_madvise(struct region *r)
{
	int i;

	madvise(r->base, (size_t)r->npages * PAGE, MADV_DONTNEED);
	/* Private pages lose what was written; shared ones keep it. */
	for (i = 0; i < r->npages; i++) {
		if (r->kind == ANON_PRV)
			r->val[i] = 0;
		if (r->kind == FILE_PRV) {
			r->val[i] = r->fval[i];
			r->cow[i] = 0;
		}
	}
}

static void do_mremap(struct worker *w, struct region *r)
{
	int n = r->npages, m = n + 1 + (int)(rnd(w) % (uint64_t)n), i;
	char *p;

	if (m > 2 * MAXPG)
		return;
	p = mremap(r->base, (size_t)n * PAGE, (size_t)m * PAGE, MREMAP_MAYMOVE);
	if (p == MAP_FAILED) {
		perror("memdiff: mremap");
		exit(2);
	}
	r->base = p;
	r->npages = m;
	for (i = n; i < m; i++) {
		r->val[i] = r->kind != ANON_PRV ? r->fval[i] : 0;
		r->cow[i] = 0;
	}
}

/* fork: the child sees its copy; the parent's later writes stay its own. */
static void do_fork(struct worker *w, long op)
{
	struct region *r = NULL;
	int st, fds[2], k, code;
	pid_t pid;
	char c;

	for (k = 0; k < NREG; k++)
		if (w->r[k].base && w->r[k].kind == ANON_PRV &&
		    !expect(&w->r[k], 0, 1, &code))
			r = &w->r[k];
	if (pipe(fds))
		return;
	pid = fork();
	if (pid == 0) {
		long before = w->mismatches;

		for (k = 0; k < NREG; k++)
			if (w->r[k].base)
				check_region(w, k, op);
		if (read(fds[0], &c, 1) != 1)
			_exit(3);
		/* The parent wrote after the fork: not seen here. */
		if (r && *(volatile uint64_t *)r->base != r->val[0])
			w->mismatches++;
		_exit(w->mismatches != before);
	}
	if (r)
		*(volatile uint64_t *)r->base = r->val[0] ^ 0x5a5a;
	if (write(fds[1], "x", 1) != 1)
		return;
	waitpid(pid, &st, 0);
	if (r)
		*(volatile uint64_t *)r->base = r->val[0];
	close(fds[0]);
	close(fds[1]);
	w->checks++;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		mismatch(w, "fork", op, 0, "child status %#x", st);
	mix(w, 0xf0);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536 };
	static const int prots[] = { PROT_NONE, PROT_READ,
				     PROT_READ | PROT_WRITE };

	sigaltstack(&ss, NULL);
	snprintf(w->dir, sizeof(w->dir), "%s", tmpdir);
	for (long op = 0; op < nops; op++) {
		int k = (int)(rnd(w) % NREG), what = (int)(rnd(w) % 16);
		struct region *r = &w->r[k];

		w->ops++;
		mix(w, (uint64_t)what);
		if (verbose > 1)
			fprintf(stderr, "op %ld region %d what %d\n", op, k,
				what);
		if (!r->base) {
			do_map(w, r, op);
		} else if (what < 5) {
			do_write(w, r, op);
		} else if (what < 7) {
			do_unmap(w, r, op);
		} else if (what < 9) {
			r->prot = prots[rnd(w) % 3];
			mprotect(r->base, (size_t)r->npages * PAGE, r->prot);
		} else if (what < 10) {
			do_madvise(r);
		} else if (what < 11) {
			do_mremap(w, r);
		} else if (what < 12) {
			msync(r->base, (size_t)r->npages * PAGE, MS_SYNC);
		} else if (what < 13 && op % 8 == 0) {
			do_fork(w, op);
		} else if (what < 14) {
			/* brk: grow, write, shrink back (thread 0 owns it). */
			if (w->id == 0) {
				char *b = sbrk(0);

				if (sbrk(PAGE) != (void *)-1) {
					b[0] = 1;
					w->checks++;
					if (b[0] != 1)
						mismatch(w, "brk", op, 0,
							 "lost write");
					sbrk(-PAGE);
				}
			}
		}
		if (r->base)
			check_region(w, k, op);
		if (verbose && op % 1000 == 0)
			fprintf(stderr, "thread %d op %ld\n", w->id, op);
	}
	for (int k = 0; k < NREG; k++)
		if (w->r[k].base)
			munmap(w->r[k].base, (size_t)w->r[k].npages * PAGE);
	return NULL;
}

/* --pressure: a child that takes memory and asks for reclaim and compaction. */
static pid_t pressure(void)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	for (;;) {
		size_t len = 64u << 20;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int fd;

		if (p != MAP_FAILED) {
			for (size_t o = 0; o < len; o += PAGE)
				p[o] = 1;
			munmap(p, len);
		}
		/* Not root: no reclaim asked, the allocation still presses. */
		fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
		if (fd >= 0 && write(fd, "3", 1) == 1)
			close(fd);
		else if (fd >= 0)
			close(fd);
		fd = open("/proc/sys/vm/compact_memory", O_WRONLY);
		if (fd >= 0 && write(fd, "1", 1) == 1)
			close(fd);
		else if (fd >= 0)
			close(fd);
		usleep(20000);
	}
}

int main(int argc, char **argv)
{
	static struct worker w[MAXTHR];
	uint64_t seed = 1, digest = 0xcbf29ce484222325ull;
	long checks = 0, mism = 0, faults = 0, ops = 0;
	int press = 0, i;
	struct sigaction sa;
	pid_t pp = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			nops = atol(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			nthr = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			tmpdir = argv[++i];
		else if (!strcmp(argv[i], "--pressure"))
			press = 1;
		else if (!strcmp(argv[i], "-v"))
			verbose++;
		else {
			fprintf(stderr,
				"usage: memdiff [--seed S] [--ops N] [--threads 1-4] [--dir DIR] [--pressure] [-v]\n");
			return 2;
		}
	}
	if (nthr < 1 || nthr > MAXTHR || nops < 1) {
		fprintf(stderr, "memdiff: --threads 1..%d, --ops >= 1\n",
			MAXTHR);
		return 2;
	}
	alarm(1800);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	if (press)
		pp = pressure();
	for (i = 0; i < nthr; i++) {
		w[i].id = i;
		w[i].rng = seed * 0x9e3779b97f4a7c15ull + (uint64_t)i + 1;
		w[i].digest = 0xcbf29ce484222325ull;
		pthread_create(&w[i].t, NULL, run, &w[i]);
	}
	for (i = 0; i < nthr; i++) {
		pthread_join(w[i].t, NULL);
		ops += w[i].ops;
		checks += w[i].checks;
		mism += w[i].mismatches;
		faults += w[i].faults;
		digest = (digest ^ w[i].digest) * 0x100000001b3ull;
	}
	if (pp > 0) {
		kill(pp, SIGKILL);
		waitpid(pp, NULL, 0);
	}
	printf("memdiff: seed %lu ops %ld threads %d: checks %ld mismatches %ld faults %ld\n",
	       (unsigned long)seed, ops, nthr, checks, mism, faults);
	printf("memdiff digest: %016lx\n", (unsigned long)digest);
	return mism ? 1 : 0;
}
