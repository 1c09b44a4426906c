// SPDX-License-Identifier: MIT
/* fpu.c - enables FPU/SSE/AVX (XCR0 as CPUID allows) and switches it eagerly with threads. */
#include "fpu.h"
#include "log.h"
#include "slab.h"
#include "smp.h"
#include "string.h"
#include "x86.h"

bool hrt_fpu_xsave;
u32 hrt_fpu_size = 512;
u64 hrt_xcr0;
static void *hrt_fpu_init_state;

void hrt_fpu_init_cpu(void)
{
	u32 a, b, c, d;
	u16 fcw = 0x37f;
	u32 mxcsr = 0x1f80;

	/* EM off, MP on (wait honours TS), TS off: no lazy #NM switching; NE: native errors. */
	hrt_write_cr0((hrt_read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	hrt_write_cr4(hrt_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	hrt_cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 26)) {
		hrt_write_cr4(hrt_read_cr4() | CR4_OSXSAVE);
		if (hrt_this_cpu()->id == 0) {
			u64 sup;

			hrt_cpuid(0xd, 0, &a, &b, &c, &d);
			sup = ((u64)d << 32) | a;
			/* x87 + SSE always; AVX; AVX-512 only as the full trio. */
			hrt_xcr0 = sup & 0x7;
			if ((sup & 0xe0) == 0xe0 && (sup & 4))
				hrt_xcr0 |= 0xe0;
			hrt_fpu_xsave = true;
		}
		hrt_xsetbv(0, hrt_xcr0);
		if (hrt_this_cpu()->id == 0) {
			hrt_cpuid(0xd, 0, &a, &b, &c, &d);
			hrt_fpu_size = b; /* size for the XCR0 now in force */
		}
	}
	__asm__ volatile("fninit; fldcw %0; ldmxcsr %1" ::"m"(fcw), "m"(mxcsr));
	if (hrt_this_cpu()->id == 0 && !hrt_fpu_init_state) {
		hrt_fpu_init_state = hrt_malloc(hrt_fpu_size);
		if (!hrt_fpu_init_state)
			hrt_panic("fpu: no memory for the initial state\n");
		memset(hrt_fpu_init_state, 0, hrt_fpu_size);
		hrt_fpu_save(hrt_fpu_init_state);
	}
}

void *hrt_fpu_alloc(void)
{
	void *p = hrt_malloc(hrt_fpu_size);

	if (p)
		memcpy(p, hrt_fpu_init_state, hrt_fpu_size);
	return p;
}

void hrt_fpu_save(void *area)
{
	if (hrt_fpu_xsave)
		__asm__ volatile("xsave64 (%0)" ::"r"(area), "a"((u32)hrt_xcr0),
				 "d"((u32)(hrt_xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

void hrt_fpu_restore(void *area)
{
	if (hrt_fpu_xsave)
		__asm__ volatile("xrstor64 (%0)" ::"r"(area),
				 "a"((u32)hrt_xcr0), "d"((u32)(hrt_xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

void hrt_fpu_get_control(u32 *mxcsr, u16 *fcw)
{
	__asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(*mxcsr), "=m"(*fcw));
}

void hrt_fpu_reset(u32 mxcsr, u16 fcw)
{
	/* MXCSR_MASK of the saved initial state; 0 there means the default. */
	u32 mask = ((u32 *)hrt_fpu_init_state)[7];

	if (!mask)
		mask = 0xffbf;
	if (mxcsr & ~mask)
		mxcsr = 0x1f80; /* ldmxcsr would #GP on reserved bits */
	hrt_fpu_restore(hrt_fpu_init_state);
	__asm__ volatile("fldcw %0; ldmxcsr %1" ::"m"(fcw), "m"(mxcsr));
}

void hrt_fpu_sanitize(void *area)
{
	u32 mask = ((u32 *)hrt_fpu_init_state)[7];
	u64 *hdr = (u64 *)((u8 *)area + 512);

	if (!mask)
		mask = 0xffbf;
	((u32 *)area)[6] &= mask; /* MXCSR: reserved bits #GP */
	((u32 *)area)[7] = ((u32 *)hrt_fpu_init_state)[7];
	if (hrt_fpu_xsave) {
		/* XSAVE header: standard form, only features we enabled. */
		hdr[0] &= hrt_xcr0;
		memset(&hdr[1], 0, 56);
	}
}
