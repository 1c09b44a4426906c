/* SPDX-License-Identifier: MIT */
/* list.h - intrusive doubly linked lists (run queues, wait queues, free lists). */
#ifndef HRT_LIST_H
#define HRT_LIST_H

#include "types.h"

struct hrt_list {
	struct hrt_list *next, *prev;
};

#define HRT_LIST_INIT(name)                                                    \
	{                                                                      \
		&(name), &(name)                                               \
	}

static inline void hrt_list_init(struct hrt_list *l)
{
	l->next = l;
	l->prev = l;
}

static inline bool hrt_list_empty(const struct hrt_list *l)
{
	return l->next == l;
}

static inline void hrt_list_insert(struct hrt_list *n, struct hrt_list *prev,
				   struct hrt_list *next)
{
	n->next = next;
	n->prev = prev;
	prev->next = n;
	next->prev = n;
}

static inline void hrt_list_add(struct hrt_list *n, struct hrt_list *head)
{
	hrt_list_insert(n, head, head->next);
}

static inline void hrt_list_add_tail(struct hrt_list *n, struct hrt_list *head)
{
	hrt_list_insert(n, head->prev, head);
}

static inline void hrt_list_del(struct hrt_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n;
	n->prev = n;
}

static inline struct hrt_list *hrt_list_pop(struct hrt_list *head)
{
	struct hrt_list *n;

	if (hrt_list_empty(head))
		return NULL;
	n = head->next;
	hrt_list_del(n);
	return n;
}

#endif /* HRT_LIST_H */
