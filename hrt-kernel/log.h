/* SPDX-License-Identifier: MIT */
/* log.h - printf-style kernel logging and panic. */
#ifndef HRT_LOG_H
#define HRT_LOG_H

#include "types.h"

int hrt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int hrt_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int hrt_printf(const char *fmt, ...) __printf(1, 2);
__noreturn void hrt_panic(const char *fmt, ...) __printf(1, 2);

#endif /* HRT_LOG_H */
