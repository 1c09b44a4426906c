// SPDX-License-Identifier: MIT
/* exec-static.c - a static program for tests/vm/exec.sh. */
/*
 * Built twice: plain -static (hrt-exec must refuse it: it would run on the
 * ROS) and -static with -Wl,--wrap=main libhrt-exec.a (hrt-exec runs it on
 * the HRT; run directly it stays native).  main and one pthread report
 * their CPL from %cs.
 */
#include <pthread.h>
#include <stdio.h>

static int cpl(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static void *thread_fn(void *arg)
{
	unsigned long long *sum = arg;
	unsigned long long i;

	for (i = 1; i <= 100000; i++)
		*sum += i * i % 7919;
	return (void *)(long)cpl();
}

int main(void)
{
	unsigned long long sum = 0;
	pthread_t t;
	void *ret;

	printf("static main cpl %d\n", cpl());
	if (pthread_create(&t, NULL, thread_fn, &sum) ||
	    pthread_join(t, &ret)) {
		printf("static thread failed\n");
		return 1;
	}
	printf("static thread cpl %ld sum %llu\n", (long)ret, sum);
	return 0;
}
