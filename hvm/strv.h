/* SPDX-License-Identifier: MIT */
/* strv.h - growable NULL-terminated string vectors for argv composition. */
#ifndef HVM_STRV_H
#define HVM_STRV_H

#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v;
	size_t n;
	size_t cap;
	int oom; /* sticky: set when any append failed */
};

/* Appends a printf-formatted string; on allocation failure sets (s)->oom. */
void strv_addf(struct strv *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strv_add(struct strv *s, const char *str);
/* Joins with (sep) into a new string, or NULL on allocation failure. */
char *strv_join(const struct strv *s, const char *sep);
/* True when (s) holds a string equal to (str). */
bool strv_has(const struct strv *s, const char *str);
void strv_free(struct strv *s);

#endif
