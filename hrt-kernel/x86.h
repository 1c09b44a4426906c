/* SPDX-License-Identifier: MIT */
/* x86.h - thin inline wrappers around privileged x86-64 instructions. */
#ifndef HRT_X86_H
#define HRT_X86_H

#include "hvm_tsc.h"
#include "types.h"

#define MSR_APIC_BASE	   0x1b
#define MSR_EFER	   0xc0000080
#define MSR_FS_BASE	   0xc0000100
#define MSR_GS_BASE	   0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define EFER_NXE	   (1u << 11)

#define CR0_MP	       (1ul << 1)
#define CR0_EM	       (1ul << 2)
#define CR0_TS	       (1ul << 3)
#define CR0_NE	       (1ul << 5)
#define CR0_WP	       (1ul << 16)
#define CR4_PGE	       (1ul << 7)
#define CR4_OSFXSR     (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define CR4_OSXSAVE    (1ul << 18)
#define CR4_SMEP       (1ul << 20)
#define CR4_SMAP       (1ul << 21)
#define CR4_PKE	       (1ul << 22)

#define RFLAGS_IF (1ul << 9)

static inline void hrt_cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(sub));
}

static inline u64 hrt_rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void hrt_wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
			 : "memory");
}

/* The shared rdtsc (include/hvm_tsc.h) under the kernel's names. */
static inline u64 hrt_rdtsc(void)
{
	return hvm_rdtsc();
}

static inline u64 hrt_rdtsc_ordered(void)
{
	return hvm_rdtsc_ordered();
}

static inline void hrt_outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline u8 hrt_inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void hrt_outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

#define HRT_DEFINE_CR(n)                                                       \
	static inline u64 hrt_read_cr##n(void)                                 \
	{                                                                      \
		u64 v;                                                         \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));              \
		return v;                                                      \
	}                                                                      \
	static inline void hrt_write_cr##n(u64 v)                              \
	{                                                                      \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");       \
	}
HRT_DEFINE_CR(0)
HRT_DEFINE_CR(2)
HRT_DEFINE_CR(3)
HRT_DEFINE_CR(4)

static inline void hrt_xsetbv(u32 idx, u64 v)
{
	__asm__ volatile("xsetbv" ::"c"(idx), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline u64 hrt_xgetbv(u32 idx)
{
	u32 lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
	return ((u64)hi << 32) | lo;
}

static inline void hrt_pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void hrt_cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void hrt_sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

/* sti's one-instruction interrupt shadow makes "sti; hlt" race-free. */
static inline void hrt_sti_hlt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

static inline u64 hrt_save_flags(void)
{
	u64 f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f)::"memory");
	return f;
}

static inline u64 hrt_irq_save(void)
{
	u64 f = hrt_save_flags();

	hrt_cli();
	return f;
}

static inline void hrt_irq_restore(u64 f)
{
	if (f & RFLAGS_IF)
		hrt_sti();
}

static inline bool hrt_irqs_enabled(void)
{
	return hrt_save_flags() & RFLAGS_IF;
}

static inline void hrt_invlpg(u64 va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

static inline __noreturn void hrt_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif /* HRT_X86_H */
