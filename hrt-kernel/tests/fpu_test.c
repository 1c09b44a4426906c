// SPDX-License-Identifier: MIT
/* fpu_test.c - SSE/AVX register contents survive thread switches and preemption. */
#include "fpu.h"
#include "selftest.h"
#include "thread.h"
#include "timer.h"
#include "x86.h"

/*
 * Kernel C is -mgeneral-regs-only, so the vector registers are touched only
 * through inline asm on memory operands (no register constraints needed).
 */
static void hrt_set_vregs(const u64 *v, bool avx)
{
	if (avx)
		__asm__ volatile("vmovdqu (%0), %%ymm0\n\t"
				 "vmovdqu 32(%0), %%ymm7\n\t"
				 "vmovdqu 64(%0), %%ymm15" ::"r"(v)
				 : "memory");
	else
		__asm__ volatile("movdqu (%0), %%xmm0\n\t"
				 "movdqu 32(%0), %%xmm7\n\t"
				 "movdqu 64(%0), %%xmm15" ::"r"(v)
				 : "memory");
}

static void hrt_get_vregs(u64 *v, bool avx)
{
	if (avx)
		__asm__ volatile("vmovdqu %%ymm0, (%0)\n\t"
				 "vmovdqu %%ymm7, 32(%0)\n\t"
				 "vmovdqu %%ymm15, 64(%0)" ::"r"(v)
				 : "memory");
	else
		__asm__ volatile("movdqu %%xmm0, (%0)\n\t"
				 "movdqu %%xmm7, 32(%0)\n\t"
				 "movdqu %%xmm15, 64(%0)" ::"r"(v)
				 : "memory");
}

static long hrt_fpu_worker(void *arg)
{
	bool avx = hrt_xcr0 & 4;
	u64 want[12], got[12];
	u64 seed = (u64)arg, t0;
	int i, round;

	for (round = 0; round < 200; round++) {
		for (i = 0; i < 12; i++)
			want[i] = got[i] =
				seed * 0x9e3779b97f4a7c15ull + round * 131 + i;
		if (!avx)
			for (i = 0; i < 12; i++)
				if ((i & 3) >= 2)
					want[i] = 0;
		hrt_set_vregs(want, avx);
		/* Yield, and every few rounds also spin across a timer tick. */
		hrt_thread_yield();
		if (round % 50 == 0) {
			t0 = hrt_rdtsc();
			while (hrt_rdtsc() - t0 < hrt_tsc_khz * 25)
				;
		}
		for (i = 0; i < 12; i++)
			got[i] = 0;
		hrt_get_vregs(got, avx);
		for (i = 0; i < 12; i++)
			if ((avx || (i & 3) < 2) && got[i] != want[i])
				return -1;
	}
	return 0;
}

HRT_TEST(fpu_state_survives_switches)
{
	struct hrt_thread *t[4];
	int i;

	/* All on one CPU so they really switch among each other. */
	for (i = 0; i < 4; i++) {
		t[i] = hrt_thread_create(hrt_fpu_worker, (void *)(u64)(i + 1),
					 "fpu", 0, 0);
		HRT_EXPECT(t[i]);
	}
	for (i = 0; i < 4; i++)
		HRT_EXPECT(hrt_thread_join(t[i]) == 0);
	return 0;
}
