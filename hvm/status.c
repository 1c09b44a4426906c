// SPDX-License-Identifier: MIT
/* status.c - the boot progress line on a terminal: drawn, updated, erased. */
#include "status.h"

#include <string.h>

void status_init(struct status *s, FILE *out, bool on, long long now_ms)
{
	memset(s, 0, sizeof(*s));
	s->out = out;
	s->on = on;
	s->start_ms = now_ms;
}

size_t status_format(char *buf, size_t len, const char *stage,
		     long long elapsed_ms)
{
	int n = snprintf(buf, len, "hvm-run: %s ... %lld.%lld s", stage,
			 elapsed_ms / 1000, elapsed_ms % 1000 / 100);

	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

static void draw(struct status *s, long long now_ms)
{
	char line[128];

	status_format(line, sizeof(line), s->stage, now_ms - s->start_ms);
	/* Carriage return, the line, erase to its end: no newline ever. */
	fprintf(s->out, "\r%s\033[K", line);
	fflush(s->out);
	s->shown = true;
	s->drawn_ms = now_ms;
}

void status_stage(struct status *s, const char *stage, long long now_ms)
{
	if (!s->on)
		return;
	if (strcmp(s->stage, stage)) {
		snprintf(s->stage, sizeof(s->stage), "%s", stage);
		draw(s, now_ms);
	} else {
		status_tick(s, now_ms);
	}
}

void status_tick(struct status *s, long long now_ms)
{
	if (s->on && s->stage[0] && now_ms - s->drawn_ms >= 100)
		draw(s, now_ms);
}

void status_clear(struct status *s)
{
	if (!s->shown)
		return;
	fputs("\r\033[K", s->out);
	fflush(s->out);
	s->shown = false;
}
