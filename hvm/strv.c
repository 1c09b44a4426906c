// SPDX-License-Identifier: MIT
/* strv.c - growable NULL-terminated string vectors. */
#include "strv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void strv_push(struct strv *s, char *str)
{
	char **nv;

	if (!str) {
		s->oom = 1;
		return;
	}
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv) {
			free(str);
			s->oom = 1;
			return;
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void strv_add(struct strv *s, const char *str)
{
	strv_push(s, strdup(str));
}

void strv_addf(struct strv *s, const char *fmt, ...)
{
	va_list ap;
	char *str;

	va_start(ap, fmt);
	if (vasprintf(&str, fmt, ap) < 0)
		str = NULL;
	va_end(ap);
	strv_push(s, str);
}

char *strv_join(const struct strv *s, const char *sep)
{
	size_t len = 1, i, sl = strlen(sep);
	char *out, *p;

	for (i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + sl;
	out = malloc(len);
	if (!out)
		return NULL;
	p = out;
	*p = '\0';
	for (i = 0; i < s->n; i++) {
		if (i) {
			memcpy(p, sep, sl);
			p += sl;
		}
		strcpy(p, s->v[i]);
		p += strlen(p);
	}
	return out;
}

void strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

bool strv_has(const struct strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}
