// SPDX-License-Identifier: MIT
/* mini-hrt.c - a minimal stand-in HRT image for the driver tests: boots, logs, beats, answers pings, hangs or crashes on request. */
#include <stdint.h>
#include "hvm_abi.h"

#define DMAP(pa) ((void *)(HVM_DIRECT_MAP_BASE + (uint64_t)(pa)))

struct idt_entry {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

struct interrupt_frame;

static const struct hvm_abi_note abi_note
	__attribute__((section(".note.hvm"), aligned(4), used)) =
		HVM_ABI_NOTE_INIT;
static struct idt_entry idt[256] __attribute__((aligned(16)));
static struct hvm_bootinfo *bi;
static struct hvm_shm_header *hdr;
static volatile uint32_t *lapic;
static volatile uint32_t *doorbell;
static uint64_t next_free;
uint8_t stack[16384] __attribute__((aligned(16), used));

static void log_str(const char *s)
{
	struct hvm_log *l = DMAP(bi->region_phys + HVM_LOG_OFF);
	uint64_t h = l->head;

	if (l->size == 0)
		l->size = HVM_LOG_SIZE - sizeof(*l);
	for (; *s; s++, h++)
		l->data[h % l->size] = *s;
	__atomic_store_n(&l->head, h, __ATOMIC_RELEASE);
}

static void log_num(uint64_t v)
{
	char b[24];
	int i = 23;

	b[i] = 0;
	do {
		b[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	log_str(b + i);
}

static uint64_t *table(uint64_t e)
{
	return DMAP(e & 0x000ffffffffff000ull);
}

/* Identity-map one 4 KiB MMIO page (uncached) with pages from HRT memory. */
static void *map_mmio(uint64_t pa)
{
	uint64_t cr3, *t, va = pa & ~0xfffull;
	int l;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	t = table(cr3);
	for (l = 4; l > 1; l--) {
		uint64_t *e = &t[(va >> (12 + 9 * (l - 1))) & 511];

		if (!(*e & 1)) {
			uint64_t *n = DMAP(next_free);

			for (int i = 0; i < 512; i++)
				n[i] = 0;
			*e = next_free | 3;
			next_free += 4096;
		}
		t = table(*e);
	}
	t[(va >> 12) & 511] = va | 0x13; /* P RW PCD */
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
	return (void *)va;
}

static void eoi(void)
{
	lapic[0xb0 / 4] = 0;
}

static void ack_ping(void)
{
	__atomic_store_n(&hdr->hrt_ping_ack, hdr->hrt_ping_seq,
			 __ATOMIC_RELEASE);
}

__attribute__((interrupt)) static void isr_ping_db(struct interrupt_frame *f)
{
	(void)f;
	ack_ping();
	eoi();
	if (doorbell)
		*doorbell = (HVM_PEER_GUEST << 16) | HVM_VEC_HRT_EVENT;
}

__attribute__((interrupt)) static void isr_ping_ipi(struct interrupt_frame *f)
{
	uint32_t v = *(volatile uint32_t *)&bi->ros_irq_vector;

	(void)f;
	ack_ping();
	eoi();
	if (v) {
		lapic[0x310 / 4] = *(volatile uint32_t *)&bi->ros_irq_apic_id
				   << 24;
		lapic[0x300 / 4] = v;
	}
}

__attribute__((interrupt)) static void isr_hang(struct interrupt_frame *f)
{
	(void)f;
	log_str("mini-hrt: hanging with interrupts off\n");
	for (;;)
		__asm__ volatile("cli; pause");
}

__attribute__((interrupt)) static void isr_crash(struct interrupt_frame *f)
{
	(void)f;
	eoi();
	__asm__ volatile("ud2");
}

static void crashed(void)
{
	log_str("mini-hrt: exception, crashed\n");
	hdr->hrt_error = -14;
	__atomic_store_n(&hdr->hrt_state, HVM_HRT_CRASHED, __ATOMIC_RELEASE);
	for (;;)
		__asm__ volatile("cli; hlt");
}

__attribute__((interrupt)) static void isr_exc(struct interrupt_frame *f)
{
	(void)f;
	crashed();
}

__attribute__((interrupt)) static void isr_exc_err(struct interrupt_frame *f,
						   uint64_t e)
{
	(void)f;
	(void)e;
	crashed();
}

__attribute__((interrupt)) static void isr_spurious(struct interrupt_frame *f)
{
	(void)f;
}

static void set_gate(int v, void *fn)
{
	uint64_t a = (uint64_t)fn;
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[v].off0 = a;
	idt[v].sel = cs;
	idt[v].ist = 0;
	idt[v].type = 0x8e;
	idt[v].off1 = a >> 16;
	idt[v].off2 = a >> 32;
	idt[v].zero = 0;
}

void hrt_main(struct hvm_bootinfo *b, uint64_t magic)
{
	struct {
		uint16_t lim;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };
	int v;

	bi = b;
	hdr = DMAP(b->region_phys);
	if (magic != HVM_BOOTINFO_MAGIC || b->magic != HVM_BOOTINFO_MAGIC) {
		hdr->hrt_error = -22;
		__atomic_store_n(&hdr->hrt_state, HVM_HRT_FAILED,
				 __ATOMIC_RELEASE);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	next_free = b->mem_phys;
	for (v = 0; v < 256; v++)
		set_gate(v, isr_spurious);
	for (v = 0; v < 32; v++)
		set_gate(v, (v == 8 || (v >= 10 && v <= 14) || v == 17)
				    ? (void *)isr_exc_err
				    : (void *)isr_exc);
	set_gate(HVM_HRT_VEC_PING_DOORBELL, isr_ping_db);
	set_gate(HVM_HRT_VEC_PING_IPI, isr_ping_ipi);
	set_gate(HVM_HRT_VEC_DEBUG_HANG, isr_hang);
	set_gate(HVM_HRT_VEC_DEBUG_CRASH, isr_crash);
	__asm__ volatile("lidt %0" ::"m"(idtr));
	lapic = map_mmio(b->lapic_phys);
	if (b->doorbell_phys)
		doorbell = (volatile uint32_t *)((uint64_t)map_mmio(
							 b->doorbell_phys) +
						 (b->doorbell_phys & 0xfff));
	lapic[0xf0 / 4] = 0x1ff; /* software enable, spurious vector 0xff */
	lapic[0x80 / 4] = 0;	 /* TPR: accept everything */

	log_str("mini-hrt: up on ");
	log_num(b->ncpus);
	log_str(" core(s), tsc_khz ");
	log_num(b->tsc_khz);
	log_str(b->flags & HVM_BOOT_SELFTEST
			? ", selftest: 0 passed, 0 failed\n"
			: "\n");
	__atomic_store_n(&hdr->hrt_state, HVM_HRT_READY, __ATOMIC_RELEASE);
	__asm__ volatile("sti");
	for (;;) {
		__atomic_fetch_add(&hdr->hrt_heartbeat, 1, __ATOMIC_RELAXED);
		for (v = 0; v < 100000; v++)
			__asm__ volatile("pause");
	}
}

__asm__(".section .text.entry, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	lea stack+16384(%rip), %rsp\n"
	"	call hrt_main\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".previous\n");
