// SPDX-License-Identifier: MIT
/* log.c - printf formatting and the lock that keeps log lines whole. */
#include "log.h"
#include "boot.h"
#include "console.h"
#include "health.h"
#include "smp.h"
#include "string.h"
#include "sync.h"
#include "x86.h"

static struct hrt_spinlock hrt_log_lock = HRT_SPINLOCK_INIT;
static volatile int hrt_log_owner = -1;

struct hrt_fmtbuf {
	char *buf;
	size_t size, len;
};

static void hrt_fmt_putc(struct hrt_fmtbuf *b, char c)
{
	if (b->len + 1 < b->size)
		b->buf[b->len] = c;
	b->len++;
}

static void hrt_fmt_num(struct hrt_fmtbuf *b, u64 v, int base, bool neg,
			int width, bool zero, bool left, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, len;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	len = n + neg;
	if (neg && zero)
		hrt_fmt_putc(b, '-');
	if (!left)
		for (; width > len; width--)
			hrt_fmt_putc(b, zero ? '0' : ' ');
	if (neg && !zero)
		hrt_fmt_putc(b, '-');
	while (n)
		hrt_fmt_putc(b, tmp[--n]);
	if (left)
		for (; width > len; width--)
			hrt_fmt_putc(b, ' ');
}

int hrt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct hrt_fmtbuf b = { buf, size, 0 };

	for (; *fmt; fmt++) {
		bool zero = false, left = false;
		int width = 0, lng = 0;
		u64 v;

		if (*fmt != '%') {
			hrt_fmt_putc(&b, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				zero = true;
			else if (*fmt == '-')
				left = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		for (;; fmt++) {
			if (*fmt == 'l' || *fmt == 'z')
				lng++;
			else
				break;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			s64 s = lng ? va_arg(ap, s64) : va_arg(ap, int);

			hrt_fmt_num(&b, s < 0 ? -(u64)s : (u64)s, 10, s < 0,
				    width, zero, left, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned int);
			hrt_fmt_num(&b, v, *fmt == 'u' ? 10 : 16, false, width,
				    zero, left, *fmt == 'X');
			break;
		case 'p':
			hrt_fmt_putc(&b, '0');
			hrt_fmt_putc(&b, 'x');
			hrt_fmt_num(&b, (u64)va_arg(ap, void *), 16, false,
				    width ? width : 16, true, false, false);
			break;
		case 'c':
			hrt_fmt_putc(&b, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len;

			if (!s)
				s = "(null)";
			len = strlen(s);
			if (!left)
				for (; width > len; width--)
					hrt_fmt_putc(&b, ' ');
			while (*s)
				hrt_fmt_putc(&b, *s++);
			for (; width > len; width--)
				hrt_fmt_putc(&b, ' ');
			break;
		}
		case '%':
			hrt_fmt_putc(&b, '%');
			break;
		case 0:
			fmt--;
			break;
		default:
			hrt_fmt_putc(&b, '%');
			hrt_fmt_putc(&b, *fmt);
		}
	}
	if (size)
		buf[b.len < size ? b.len : size - 1] = 0;
	return (int)b.len;
}

int hrt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = hrt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static int hrt_vprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = hrt_vsnprintf(buf, sizeof(buf), fmt, ap);
	int me = hrt_boot_percpu_ready ? (int)hrt_cpu_id() : 0;
	bool nested;
	u64 f = hrt_irq_save();

	/*
	 * An exception taken while this CPU holds the lock must still print:
	 * the owner check lets it through instead of deadlocking on itself.
	 */
	nested = READ_ONCE(hrt_log_owner) == me;
	if (!nested) {
		hrt_spin_lock_raw(&hrt_log_lock);
		hrt_log_owner = me;
	}
	hrt_console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
	if (!nested) {
		hrt_log_owner = -1;
		hrt_spin_unlock_raw(&hrt_log_lock);
	}
	hrt_irq_restore(f);
	return n;
}

int hrt_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = hrt_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

__noreturn void hrt_panic(const char *fmt, ...)
{
	va_list ap;

	hrt_cli();
	hrt_printf("PANIC: ");
	va_start(ap, fmt);
	hrt_vprintf(fmt, ap);
	va_end(ap);
	hrt_crash();
}
