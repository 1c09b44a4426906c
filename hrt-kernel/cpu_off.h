/* SPDX-License-Identifier: MIT */
/* cpu_off.h - %gs offsets of struct hrt_cpu fields used by assembly. */
#ifndef HRT_CPU_OFF_H
#define HRT_CPU_OFF_H

#define HRT_CPU_UCALL_RSP   16 /* kernel rsp for entries from process code */
#define HRT_CPU_SC_USER_RSP 24 /* rsp of the system call being entered */
#define HRT_CPU_UFIXUP	    32 /* resume address of a user access (uaccess.S) */

#endif /* HRT_CPU_OFF_H */
