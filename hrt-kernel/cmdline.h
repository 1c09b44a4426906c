/* SPDX-License-Identifier: MIT */
/* cmdline.h - the HRT's command line: key=value and bare-key lookups. */
#ifndef HRT_CMDLINE_H
#define HRT_CMDLINE_H

#include "types.h"

/*
 * The value of (key)=value on the command line, copied into (buf) of (n)
 * bytes: "" for a bare key, NULL if the key is absent.
 */
const char *hrt_cmdline_get(const char *key, char *buf, size_t n);

/* Whether (key) is given and not "key=0". */
bool hrt_cmdline_has(const char *key);

#endif /* HRT_CMDLINE_H */
