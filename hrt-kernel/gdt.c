/* gdt.c - per-CPU GDT with a 64-bit TSS whose IST slots hold the interrupt stacks. */
#include "gdt.h"
#include "smp.h"
#include "string.h"
#include "x86.h"

struct hrt_dtr {
	u16 limit;
	u64 base;
} __attribute__((packed));

void hrt_gdt_init_cpu(struct hrt_cpu *c)
{
	u64 tss = (u64)&c->tss;
	u64 lim = sizeof(c->tss) - 1;
	struct hrt_dtr d;
	int i;

	memset(&c->tss, 0, sizeof(c->tss));
	for (i = 0; i < 5; i++)
		c->tss.ist[i] = (u64)c->ist[i] + HRT_IST_STACK;
	/* No I/O bitmap: base past the limit. */
	c->tss.iomap_base = sizeof(c->tss);

	c->gdt[0] = 0;
	c->gdt[1] = 0x00af9a000000ffffull; /* 64-bit code, DPL0 */
	c->gdt[2] = 0x00cf92000000ffffull; /* data */
	/* 16-byte available 64-bit TSS descriptor (type 9). */
	c->gdt[3] = (lim & 0xffff) | ((tss & 0xffffff) << 16) |
		    (0x89ull << 40) | (((lim >> 16) & 0xf) << 48) |
		    (((tss >> 24) & 0xff) << 56);
	c->gdt[4] = tss >> 32;
	c->gdt[5] = 0;
	c->gdt[6] = 0;

	d.limit = sizeof(c->gdt) - 1;
	d.base = (u64)c->gdt;
	__asm__ volatile("lgdt %0\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%ss\n\t"
			 "pushq %2\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "ltr %w3"
			 :
			 : "m"(d), "r"((u64)HRT_KDATA), "i"(HRT_KCODE),
			   "r"((u64)HRT_TSS_SEL)
			 : "rax", "memory");
	/* fs/gs selectors stay null; their bases come from the MSRs. */
}
