// SPDX-License-Identifier: MIT
/* mem-ops.c - what munmap, mprotect and a first-touch fault cost: an ordinary program, timed natively and under hrt-exec (benchmarks/mem.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mem-ops: mmap");
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	uint64_t t0, t_mmap = 0, t_touch = 0, t_munmap = 0, t_mprot = 0;
	volatile char *keep = map(4096);
	char *p;

	keep[0] = 1; /* the page table stays: each munmap frees only its page */
	for (int i = 0; i < n; i++) {
		t0 = now_ns();
		p = map(4096);
		t_mmap += now_ns() - t0;
		t0 = now_ns();
		p[0] = (char)i; /* a first-touch fault */
		t_touch += now_ns() - t0;
		t0 = now_ns();
		mprotect(p, 4096, PROT_READ);
		mprotect(p, 4096, PROT_READ | PROT_WRITE);
		t_mprot += now_ns() - t0;
		p[1] = 1;
		t0 = now_ns();
		munmap(p, 4096);
		t_munmap += now_ns() - t0;
	}
	/* One line, ns per operation (mprotect: per call). */
	printf("mem-ops n %d mmap %lu touch %lu mprotect %lu munmap %lu\n", n,
	       (unsigned long)(t_mmap / n), (unsigned long)(t_touch / n),
	       (unsigned long)(t_mprot / n / 2), (unsigned long)(t_munmap / n));
	return 0;
}
