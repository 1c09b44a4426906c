/* SPDX-License-Identifier: MIT */
/* symbols.h - the embedded symbol table used to name addresses in crash reports. */
#ifndef HRT_SYMBOLS_H
#define HRT_SYMBOLS_H

#include "types.h"

/* Name of the function containing addr (and the offset into it), or NULL. */
const char *hrt_symbol_lookup(u64 addr, u64 *offset);
u64 hrt_symbol_count(void);

#endif /* HRT_SYMBOLS_H */
