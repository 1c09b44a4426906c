/* SPDX-License-Identifier: MIT */
/* types.h - basic types, error numbers and helper macros shared by the HRT kernel. */
#ifndef HRT_TYPES_H
#define HRT_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define EPERM	  1
#define ENOENT	  2
#define ESRCH	  3
#define ENOEXEC	  8
#define EINTR	  4
#define EIO	  5
#define EAGAIN	  11
#define ENOMEM	  12
#define EFAULT	  14
#define EBUSY	  16
#define ENODEV	  19
#define EINVAL	  22
#define ENOSPC	  28
#define EDEADLK	  35
#define ENOSYS	  38
#define ETIME	  62
#define ENOTSUP	  95
#define ETIMEDOUT 110
#define ECANCELED 125

#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	 (((x) + (a)-1) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))
#define likely(x)	 __builtin_expect(!!(x), 1)
#define unlikely(x)	 __builtin_expect(!!(x), 0)
#define container_of(ptr, type, member)                                        \
	((type *)((char *)(ptr)-offsetof(type, member)))
/* The attribute names of Linux's compiler_attributes.h, which we lack. */
#define __noreturn     __attribute__((noreturn))
#define __aligned(n)   __attribute__((aligned(n)))
#define __section(s)   __attribute__((section(s)))
#define __used	       __attribute__((used))
#define __packed       __attribute__((packed))
#define __weak	       __attribute__((weak))
#define __printf(f, a) __attribute__((format(printf, f, a)))

#define READ_ONCE(x)	 (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define PAGE_SIZE  4096ul
#define PAGE_SHIFT 12

#endif /* HRT_TYPES_H */
