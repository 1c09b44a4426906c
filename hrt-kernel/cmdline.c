// SPDX-License-Identifier: MIT
/* cmdline.c - the HRT's command line: key=value and bare-key lookups. */
#include "cmdline.h"
#include "boot.h"
#include "string.h"

const char *hrt_cmdline_get(const char *key, char *buf, size_t n)
{
	const char *p = hrt_bootinfo ? hrt_bootinfo->cmdline : "";
	size_t kl = strlen(key);

	while (*p) {
		const char *tok = p, *e;

		while (*p && *p != ' ')
			p++;
		e = p;
		while (*p == ' ')
			p++;
		if ((size_t)(e - tok) < kl || strncmp(tok, key, kl))
			continue;
		if (tok + kl == e) {
			hrt_strlcpy(buf, "", n);
			return buf;
		}
		if (tok[kl] != '=')
			continue;
		tok += kl + 1;
		if ((size_t)(e - tok) + 1 < n)
			n = e - tok + 1;
		hrt_strlcpy(buf, tok, n);
		return buf;
	}
	return NULL;
}

bool hrt_cmdline_has(const char *key)
{
	char buf[32];
	const char *v = hrt_cmdline_get(key, buf, sizeof(buf));

	return v && strcmp(v, "0");
}
