// SPDX-License-Identifier: MIT
/* logs.c - streams and keeps the guest kernel console and the HRT log. */
#include "logs.h"

#include <string.h>

#include "hvm_abi.h"

void line_buf_feed(struct line_buf *lb, FILE *out, const char *prefix,
		   const char *data, size_t len)
{
	size_t i, cap = sizeof(lb->line);

	for (i = 0; i < len; i++) {
		char ch = data[i];

		if (ch == '\r')
			continue;
		if (ch != '\n' && lb->len < cap - 1) {
			lb->line[lb->len++] = ch;
			continue;
		}
		if (ch != '\n')
			continue; /* drop the rest of an overlong line */
		fprintf(out, "%s%.*s\n", prefix, (int)lb->len, lb->line);
		lb->len = 0;
	}
}

void logs_init(struct logs *l, FILE *out, int verbose, FILE *hrt_file)
{
	memset(l, 0, sizeof(*l));
	l->out = out;
	l->verbose = verbose;
	l->hrt_file = hrt_file;
}

void logs_klog(struct logs *l, const char *buf, size_t n)
{
	console_tail_add(&l->tail, buf, n);
	if (l->verbose > 0)
		line_buf_feed(&l->klog, l->out, "", buf, n);
}

void logs_hrt(struct logs *l, void *base)
{
	struct hvm_log *log = (struct hvm_log *)((char *)base + HVM_LOG_OFF);
	uint64_t head = __atomic_load_n(&log->head, __ATOMIC_ACQUIRE);
	uint64_t size = HVM_LOG_SIZE - sizeof(*log);

	if (!l->hrt_file && l->verbose <= 0)
		return;
	if (head < l->hrt_pos) /* the HRT rebooted and restarted its log */
		l->hrt_pos = 0;
	if (head - l->hrt_pos > size) {
		fprintf(l->out, "[hrt] ... %llu bytes of HRT log lost ...\n",
			(unsigned long long)(head - l->hrt_pos - size));
		l->hrt_pos = head - size;
	}
	for (; l->hrt_pos < head; l->hrt_pos++) {
		char ch = log->data[l->hrt_pos % size];

		if (l->hrt_file)
			fputc(ch, l->hrt_file);
		if (l->verbose > 0)
			line_buf_feed(&l->hrt, l->out, "[hrt] ", &ch, 1);
	}
	if (l->hrt_file)
		fflush(l->hrt_file);
}

void logs_print_tail(const struct logs *l, FILE *out)
{
	if (l->tail.len) {
		fprintf(out, "hvm-run: last console lines:\n");
		console_tail_print(&l->tail, 15, out, "  | ");
	}
}

void logs_close(struct logs *l)
{
	if (l->hrt_file)
		fclose(l->hrt_file);
	l->hrt_file = NULL;
}
