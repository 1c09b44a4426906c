// SPDX-License-Identifier: MIT
/* symbols.c - binary search over the sorted table tools/gensyms generated at link time. */
#include "symbols.h"
#include "mm.h"

struct hrt_sym {
	u64 addr;
	u64 name; /* offset into hrt_symtab_names */
};

/* Weak: the first link pass has no table yet. */
extern const struct hrt_sym hrt_symtab[] __weak;
extern const u64 hrt_symtab_count __weak;
extern const char hrt_symtab_names[] __weak;
extern char hrt_text_start[];

u64 hrt_symbol_count(void)
{
	return &hrt_symtab_count ? hrt_symtab_count : 0;
}

const char *hrt_symbol_lookup(u64 addr, u64 *offset)
{
	u64 lo = 0, hi = hrt_symbol_count();

	if (!hi || addr < (u64)hrt_text_start || addr >= (u64)hrt_text_end)
		return NULL;
	/* Last entry with entry.addr <= addr. */
	while (hi - lo > 1) {
		u64 mid = (lo + hi) / 2;

		if (hrt_symtab[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (hrt_symtab[lo].addr > addr)
		return NULL;
	if (offset)
		*offset = addr - hrt_symtab[lo].addr;
	return hrt_symtab_names + hrt_symtab[lo].name;
}
