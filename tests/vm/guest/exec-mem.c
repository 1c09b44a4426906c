// SPDX-License-Identifier: MIT
/* exec-mem.c - memory coherence under hrt-exec: mmap loops, munmap races, the signal of each kind of bad access; output compared with a native run. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

/* Per thread: where a probe lands, and what the fault said. */
static __thread sigjmp_buf probe_jb;
static __thread volatile int probe_armed;
static __thread volatile int probe_sig, probe_code;
static __thread void *volatile probe_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!probe_armed) {
		/* Not a probe: die of it, as without a handler. */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	probe_sig = sig;
	probe_code = si->si_code;
	probe_addr = si->si_addr;
	siglongjmp(probe_jb, 1);
}

static void handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * Makes access (kind: 'r', 'w' or 'x') at (p): 0 when it worked, else the
 * signal, with its code in (*code); (*addr_ok) says si_addr was (p).
 */
static int probe(void *p, int kind, int *code, int *addr_ok)
{
	probe_sig = 0;
	if (sigsetjmp(probe_jb, 1) == 0) {
		probe_armed = 1;
		if (kind == 'r')
			(void)*(volatile char *)p;
		else if (kind == 'w')
			*(volatile char *)p = 1;
		else
			((void (*)(void))p)();
	}
	probe_armed = 0;
	*code = probe_code;
	*addr_ok = probe_addr == p;
	return probe_sig;
}

static void *map(size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

/* ../shared/repro/mmap_loop.c: the same address mapped and faulted again. */
static int mmap_loop(int n, size_t len, int flags)
{
	for (int i = 0; i < n; i++) {
		char *p = map(len, PROT_READ | PROT_WRITE, flags);

		memcpy(p, "0123456789", len < 10 ? len : 10);
		memmove(p + 1, p, len < 10 ? len - 1 : 9);
		if (p[0] != '0' || p[1] != '0') {
			printf("mmap-loop: wrong contents at %d\n", i);
			return 1;
		}
		munmap(p, len);
	}
	printf("mmap-loop %s ok\n", flags & MAP_SHARED ? "shared" : "private");
	return 0;
}

/*
 * ../shared/repro/munmap_race.c with (nr) readers: once munmap returned
 * in the main thread, every reader, on whatever core, must fault on the
 * page (SEGV_MAPERR at its address) and recover with siglongjmp.
 */
static char *volatile race_page;
static atomic_int race_phase, race_done;
static atomic_int race_stale, race_faults, race_wrong;
static int race_rounds;

static void *race_reader(void *arg)
{
	int code, addr_ok, sig;

	(void)arg;
	for (int r = 0; r < race_rounds; r++) {
		while (atomic_load(&race_phase) != 2 * r + 1)
			;
		if (probe(race_page, 'r', &code, &addr_ok))
			atomic_fetch_add(&race_wrong,
					 1); /* mapped: must work */
		atomic_fetch_add(&race_done, 1);
		while (atomic_load(&race_phase) != 2 * r + 2)
			;
		sig = probe(race_page, 'r', &code, &addr_ok);
		if (!sig)
			atomic_fetch_add(&race_stale, 1);
		else if (sig != SIGSEGV || code != SEGV_MAPERR || !addr_ok)
			atomic_fetch_add(&race_wrong, 1);
		else
			atomic_fetch_add(&race_faults, 1);
		atomic_fetch_add(&race_done, 1);
	}
	return NULL;
}

static int munmap_race(int rounds, int nr)
{
	pthread_t t[8];

	race_rounds = rounds;
	nr = nr < 1 ? 1 : nr > 8 ? 8 : nr;
	for (int i = 0; i < nr; i++)
		pthread_create(&t[i], NULL, race_reader, NULL);
	for (int r = 0; r < rounds; r++) {
		race_page = map(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
		race_page[0] = 1;
		atomic_store(&race_done, 0);
		atomic_store(&race_phase, 2 * r + 1);
		while (atomic_load(&race_done) != nr)
			;
		munmap(race_page, PAGE);
		atomic_store(&race_done, 0);
		atomic_store(&race_phase, 2 * r + 2);
		while (atomic_load(&race_done) != nr)
			;
	}
	for (int i = 0; i < nr; i++)
		pthread_join(t[i], NULL);
	printf("munmap-race: %d readers, %d faults, %d stale reads, %d wrong\n",
	       nr, atomic_load(&race_faults), atomic_load(&race_stale),
	       atomic_load(&race_wrong));
	return atomic_load(&race_stale) || atomic_load(&race_wrong);
}

static void show(const char *what, void *p, int kind)
{
	int code = 0, addr_ok = 0, sig = probe(p, kind, &code, &addr_ok);

	if (sig)
		printf("%-16s %c: signal %d code %d addr %s\n", what, kind, sig,
		       code, addr_ok ? "ok" : "wrong");
	else
		printf("%-16s %c: ok\n", what, kind);
}

/* Every kind of access Linux refuses, with the signal it sends. */
static int fault_codes(void)
{
	char path[] = "/tmp/exec-mem.XXXXXX";
	int fd = mkstemp(path);
	char *p;

	if (fd < 0 || ftruncate(fd, 100) < 0) {
		perror("exec-mem: tmp file");
		return 2;
	}
	unlink(path);
	p = map(PAGE, PROT_NONE, MAP_PRIVATE);
	show("prot-none", p, 'r');
	show("prot-none", p, 'w');
	mprotect(p, PAGE, PROT_READ);
	show("read-only", p, 'r');
	show("read-only", p, 'w');
	show("no-exec", p, 'x');
	mprotect(p, PAGE, PROT_READ | PROT_WRITE);
	show("read-write", p, 'w');
	munmap(p, PAGE);
	show("unmapped", p, 'r');
	show("unmapped", p, 'w');
	/* Two pages of a 100-byte file: the second is past its end. */
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap file");
		return 2;
	}
	show("file", p, 'w');
	show("past-eof", p + PAGE, 'r');
	show("past-eof", p + PAGE, 'w');
	if (ftruncate(fd, 0) == 0)
		show("truncated", p, 'r');
	munmap(p, 2 * PAGE);
	close(fd);
	return 0;
}

/* fork's copy-on-write: neither side sees the other's later writes. */
static int cow(void)
{
	char *p = map(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *s = map(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
	int st, fds[2];
	char c;
	pid_t pid;

	p[0] = 'a';
	s[0] = 'a';
	if (pipe(fds))
		return 2;
	pid = fork();
	if (pid == 0) {
		if (read(fds[0], &c, 1) != 1)
			_exit(2);
		/* The parent wrote 'b' to both after the fork. */
		_exit(p[0] == 'a' && s[0] == 'b' ? 0 : 1);
	}
	p[0] = 'b';
	s[0] = 'b';
	if (write(fds[1], "x", 1) != 1)
		return 2;
	waitpid(pid, &st, 0);
	printf("cow: child saw %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "its copy" : "wrong");
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 0) || p[0] != 'b';
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int a = argc > 2 ? atoi(argv[2]) : 0, b = argc > 3 ? atoi(argv[3]) : 0;

	alarm(120);
	handlers();
	if (!strcmp(cmd, "mmap-loop"))
		return mmap_loop(a, (size_t)b, MAP_SHARED) ||
		       mmap_loop(a, (size_t)b, MAP_PRIVATE);
	if (!strcmp(cmd, "munmap-race"))
		return munmap_race(a, b);
	if (!strcmp(cmd, "fault-codes"))
		return fault_codes();
	if (!strcmp(cmd, "cow"))
		return cow();
	fprintf(stderr,
		"usage: exec-mem mmap-loop N LEN | munmap-race ROUNDS READERS | fault-codes | cow\n");
	return 2;
}
