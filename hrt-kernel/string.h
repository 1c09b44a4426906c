/* SPDX-License-Identifier: MIT */
/* string.h - the freestanding memory and string routines the kernel (and gcc) need. */
#ifndef HRT_STRING_H
#define HRT_STRING_H

#include "types.h"

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
size_t hrt_strlcpy(char *d, const char *s, size_t n);
bool hrt_has_nul(const char *s, size_t n);
u64 hrt_strtoul(const char *s, const char **end, int base);

#endif /* HRT_STRING_H */
