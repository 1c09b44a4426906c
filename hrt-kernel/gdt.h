/* gdt.h - per-CPU GDT and TSS. */
#ifndef HRT_GDT_H
#define HRT_GDT_H

#define HRT_KCODE 0x08
#define HRT_KDATA 0x10
#define HRT_TSS_SEL 0x18

#ifndef __ASSEMBLER__
struct hrt_cpu;
/* Needs c->ist[] filled in; loads GDTR, reloads segments and TR. */
void hrt_gdt_init_cpu(struct hrt_cpu *c);
#endif

#endif /* HRT_GDT_H */
