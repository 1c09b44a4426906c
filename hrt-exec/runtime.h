/* SPDX-License-Identifier: MIT */
/* runtime.h - what hrt-exec's launcher and its in-process runtime share. */
#ifndef HRT_EXEC_RUNTIME_H
#define HRT_EXEC_RUNTIME_H

/*
 * Exit statuses of hrt-exec itself (the program's own pass through
 * unchanged; so does death by a signal).  Documented in docs/hrt-exec.md.
 */
#define HRT_EXEC_EXIT_USAGE    2   /* bad option or missing PROGRAM */
#define HRT_EXEC_EXIT_PERM     123 /* no permission to /dev/hvm */
#define HRT_EXEC_EXIT_NOHRT    124 /* no /dev/hvm, HRT not running or gone */
#define HRT_EXEC_EXIT_ABI      125 /* wrong architecture, ABI or linkage */
#define HRT_EXEC_EXIT_NOEXEC   126 /* not a program, or not executable */
#define HRT_EXEC_EXIT_NOTFOUND 127 /* PROGRAM not found */

/* The section that marks a static program linked with libhrt-exec.a. */
#define HRT_EXEC_STATIC_SECTION ".hrt_exec"

/* Where the runtime lies relative to the launcher's own directory. */
#define HRT_EXEC_RUNTIME_REL "../lib/hvm/libhrt-exec.so"

typedef int (*hrt_exec_main_fn)(int argc, char **argv, char **envp);

#endif /* HRT_EXEC_RUNTIME_H */
