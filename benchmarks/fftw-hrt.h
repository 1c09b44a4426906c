/* SPDX-License-Identifier: MIT */
/* fftw-hrt.h - FFTW's parallel loops on hrt.h native threads and events (the whole port of FFTW to hrt.h). */
#ifndef FFTW_HRT_H
#define FFTW_HRT_H

#include <stddef.h>

/*
 * FFTW 3.3.9 and later run every parallel loop of a threaded plan through
 * a callback a program may install (fftw_threads_set_callback); FFTW's
 * own is a pool of pthreads fed through semaphores.  fftw_hrt_start(),
 * called on the HRT (inside hrt_invoke or under hrt-exec), starts one
 * native thread on each other HRT core and installs a callback that hands
 * a loop's jobs to them by one hrt_event_notify and collects them by
 * another, never leaving the HRT.  Returns the number of threads a loop
 * uses (the HRT cores), or a negative errno: -ENOTSUP off the HRT, -EBUSY
 * already started, or hrt_thread_create()'s error.  Loops called off the
 * HRT, from inside a job, or while another loop runs, run their jobs in
 * order in the caller (FFTW allows any execution order).
 */
int fftw_hrt_start(void);

/* Ends the threads and gives FFTW its own pthreads back; 0 or -errno. */
int fftw_hrt_stop(void);

/* 1 when called in one of fftw_hrt_start()'s native threads. */
int fftw_hrt_in_thread(void);

/* Loops run and jobs the native threads (not the caller) took, since start. */
void fftw_hrt_counts(unsigned long *loops, unsigned long *stolen);

#endif
