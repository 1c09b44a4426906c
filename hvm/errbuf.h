/* SPDX-License-Identifier: MIT */
/* errbuf.h - formats a one-line error message into a caller's buffer. */
#ifndef HVM_ERRBUF_H
#define HVM_ERRBUF_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the message into (err) (errlen bytes) and returns -EINVAL. */
static inline int __attribute__((format(printf, 3, 4)))
errbuf_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#endif
