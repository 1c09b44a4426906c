// SPDX-License-Identifier: MIT
/* console.c - writes bytes to COM1 (standalone) or the HVM log ring (never both). */
#include "console.h"
#include "x86.h"

#define COM1 0x3f8

static bool hrt_serial_on;
static struct hvm_log *hrt_ring;

void hrt_console_init_serial(void)
{
	hrt_outb(COM1 + 1, 0x00); /* no interrupts: we poll */
	hrt_outb(COM1 + 3, 0x80); /* DLAB to set the divisor */
	hrt_outb(COM1 + 0, 0x01); /* 115200 baud */
	hrt_outb(COM1 + 1, 0x00);
	hrt_outb(COM1 + 3, 0x03); /* 8N1 */
	hrt_outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
	hrt_outb(COM1 + 4, 0x03);
	hrt_serial_on = true;
}

void hrt_console_init_ring(struct hvm_log *log, u64 bytes)
{
	u64 cap = bytes - sizeof(*log);

	/* hvm-run normally sets size; keep a valid one, never grow past the slot. */
	if (!log->size || log->size > cap)
		log->size = cap;
	hrt_ring = log;
	hrt_serial_on = false; /* COM1 belongs to Linux in HVM mode */
}

static void hrt_serial_putc(char c)
{
	int spin;

	/* Wait for the transmit holding register (LSR bit 5), bounded. */
	for (spin = 0; spin < 100000; spin++)
		if (hrt_inb(COM1 + 5) & 0x20)
			break;
	hrt_outb(COM1, (u8)c);
}

void hrt_console_write(const char *s, size_t n)
{
	size_t i;

	if (hrt_ring) {
		u64 head = hrt_ring->head;
		u64 size = hrt_ring->size;

		for (i = 0; i < n; i++)
			hrt_ring->data[(head + i) % size] = s[i];
		/* Readers trust bytes below head: publish them first. */
		__atomic_store_n(&hrt_ring->head, head + n, __ATOMIC_RELEASE);
		return;
	}
	if (!hrt_serial_on)
		return;
	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			hrt_serial_putc('\r');
		hrt_serial_putc(s[i]);
	}
}
