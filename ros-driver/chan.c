// SPDX-License-Identifier: GPL-2.0
/* chan.c - invocation channels: allocation per open file, mmap of the channel area, kicks, blocking waits, abort on close. */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/uaccess.h>

#include "ros.h"
#include "hvm_chan.h"

/* How long close waits for an aborted invocation to end on the HRT. */
#define ROS_ABORT_TIMEOUT_MS 200

/* Recomputes HVM_KICK_BOUND: one past the highest open channel of (core). */
static void ros_chan_bound(struct ros_dev *rd, u32 core)
{
	struct hvm_chan_area *a = ros_chan_area(rd);
	unsigned int i, hi = 0;

	for_each_set_bit(i, rd->chan_used, HVM_CHAN_MAX)
		if (READ_ONCE(a->chan[i].core) == core)
			hi = i + 1;
	/* Pairs with the HRT's acquire of its scan bound before it scans. */
	hvm_kick_set_bound(a, core, hi);
}

/* The HRT is inside an invocation on (c). */
static bool ros_chan_busy(struct hvm_chan *c)
{
	/* Pairs with the HRT's release in hvm_chan_event(). */
	u32 s = smp_load_acquire(&c->state);

	return s == HVM_CHAN_RUNNING || s == HVM_CHAN_SYSCALL ||
	       s == HVM_CHAN_FAULT;
}

/* The HRT may still run or finish an invocation there (ready or hung). */
static bool ros_chan_served(struct ros_dev *rd)
{
	u32 s = ros_state(rd);

	return s == HVM_HRT_READY || s == HVM_HRT_HUNG;
}

/*
 * Ends the invocation the HRT runs on (c), served by HRT core (core): posts
 * ABORT and waits until the channel is idle, the cores are reset or
 * ROS_ABORT_TIMEOUT_MS pass.  Returns true when it is still busy then.
 */
static bool ros_chan_abort_wait(struct ros_dev *rd, struct hvm_chan *c,
				u32 core)
{
	unsigned long end = jiffies + msecs_to_jiffies(ROS_ABORT_TIMEOUT_MS);

	hvm_chan_post(c, HVM_OP_ABORT);
	hvm_chan_kick(ros_chan_area(rd), core);
	ros_send_ipi(rd, core, HVM_HRT_VEC_CHAN);
	/* A reset of the cores (reboot, stop) ends the wait too. */
	while (ros_chan_busy(c) && ros_chan_served(rd)) {
		if (time_after(jiffies, end))
			return true;
		usleep_range(200, 500);
	}
	return false;
}

long ros_ioc_chan_open(struct ros_file *f, void __user *up)
{
	struct ros_dev *rd = f->rd;
	struct hvm_chan_open o;
	struct hvm_chan *c;
	unsigned int idx;
	u32 boot, prev_core;
	long ret = 0;

	if (copy_from_user(&o, up, sizeof(o)))
		return -EFAULT;
	if (o.index || memchr_inv(o.reserved, 0, sizeof(o.reserved)) ||
	    o.core >= rd->ncpus)
		return -EINVAL;
	mutex_lock(&f->lock);
	mutex_lock(&rd->ctx_lock);
	/*
	 * Only while the HRT serves: a request posted before a booting HRT
	 * starts its channel service would never be seen, and its waiter,
	 * with this boot's count, would wait for ever.
	 */
	boot = READ_ONCE(rd->hdr->hrt_boot_count);
	/*
	 * Count, then state (pairs with the smp_wmb in ros_boot, which stores
	 * them the other way round): a reboot in between leaves the old
	 * count, so waits on the channel see it cancelled.
	 */
	smp_rmb();
	if (ros_state(rd) != HVM_HRT_READY) {
		ret = -EAGAIN;
		goto unlock;
	}
again:
	idx = find_first_zero_bit(rd->chan_used, HVM_CHAN_MAX);
	if (idx >= HVM_CHAN_MAX) {
		ret = -ENOSPC;
		goto unlock;
	}
	c = &ros_chan_area(rd)->chan[idx];
	prev_core = READ_ONCE(c->core);
	/*
	 * Only the ROS half is reset; the sequence words keep counting so the
	 * HRT, which remembers the last req_seq per channel, sees no replay.
	 */
	WRITE_ONCE(c->op, HVM_OP_NONE);
	WRITE_ONCE(c->flags, 0);
	WRITE_ONCE(c->ctx, HVM_CTX_MAX);
	WRITE_ONCE(c->core, o.core);
	/*
	 * Requests up to now are not the new owner's: an earlier owner may
	 * have posted one on a channel of an earlier boot and been told
	 * -ECANCELED; the HRT drops those (hvm_abi.h, open_seq).  open_boot
	 * 0 first, so the HRT never pairs the new open_seq with an old boot
	 * or the other way round (it reads open_boot, open_seq, open_boot).
	 */
	WRITE_ONCE(c->open_boot, 0);
	/* Pairs with the HRT's acquire of open_boot before open_seq. */
	smp_wmb();
	WRITE_ONCE(c->open_seq, READ_ONCE(c->req_seq));
	/* Pairs with the HRT's acquire of open_seq before open_boot again. */
	smp_wmb();
	WRITE_ONCE(c->open_boot, boot);
	/*
	 * Pairs with the HRT's fence between claiming a request (state
	 * RUNNING) and looking at the stamp again (hrt_chan_invoke): either
	 * it sees the new stamp and lets go, or we see the channel busy.
	 * Busy: it took the previous owner's request before that owner's
	 * close, but claimed it after the close looked (so nothing aborted
	 * it).  End it before the channel is anybody's, or retire it.
	 */
	smp_mb();
	if (ros_chan_busy(c) && prev_core < rd->ncpus &&
	    ros_chan_abort_wait(rd, c, prev_core)) {
		set_bit(idx, rd->chan_used);
		set_bit(idx, rd->chan_retired);
		dev_warn(
			&rd->pdev->dev,
			"channel %u: HRT core %u did not end a stale invocation; channel retired until the next reboot\n",
			idx, prev_core);
		goto again;
	}
	rd->chan_boot[idx] = boot;
	set_bit(idx, rd->chan_used);
	set_bit(idx, f->chans);
	ros_chan_bound(rd, o.core);
	o.index = idx;
unlock:
	mutex_unlock(&rd->ctx_lock);
	mutex_unlock(&f->lock);
	if (!ret && copy_to_user(up, &o, sizeof(o)))
		ret = -EFAULT; /* the channel stays open; close frees it */
	return ret;
}

/*
 * Frees channel (idx) of (f); caller holds f->lock.  An invocation still
 * running there is aborted first.  A channel the HRT does not let go of in
 * time stays allocated (to nobody: retired) so a late completion cannot
 * confuse the next owner; the next reset of the HRT cores frees it.
 */
static void ros_chan_free(struct ros_file *f, unsigned int idx)
{
	struct ros_dev *rd = f->rd;
	struct hvm_chan *c = &ros_chan_area(rd)->chan[idx];
	bool stuck = false;
	u32 core = READ_ONCE(c->core);

	/* The owner is gone or closing: we are the ROS side now. */
	if (ros_chan_served(rd) && ros_chan_busy(c) && core < rd->ncpus)
		stuck = ros_chan_abort_wait(rd, c, core);
	mutex_lock(&rd->ctx_lock);
	/* ros_chan_reset runs under ctx_lock: idle now means it ran. */
	if (stuck && !ros_chan_busy(c))
		stuck = false;
	clear_bit(idx, f->chans);
	if (stuck) {
		set_bit(idx, rd->chan_retired);
	} else {
		WRITE_ONCE(c->flags, 0);
		clear_bit(idx, rd->chan_used);
	}
	if (core < rd->ncpus)
		ros_chan_bound(rd, core);
	mutex_unlock(&rd->ctx_lock);
	if (stuck)
		dev_warn(
			&rd->pdev->dev,
			"channel %u: HRT core %u did not end the aborted invocation; channel retired until the next reboot\n",
			idx, core);
}

/*
 * The HRT cores were just reset (INIT): nothing runs on any channel and
 * no core holds a context.  Retired channels come back, the HRT's half of
 * every channel reads idle (a close need not abort what no longer runs),
 * and no context lists an active core (a TLB flush need not wait for a
 * core that no longer has it loaded).  The HRT's state words are ours to
 * write while its cores are stopped.
 */
void ros_chan_reset(struct ros_dev *rd)
{
	struct hvm_chan_area *a = ros_chan_area(rd);
	unsigned int i;

	mutex_lock(&rd->ctx_lock);
	for (i = 0; i < HVM_CHAN_MAX; i++) {
		if (!ros_chan_busy(&a->chan[i]))
			continue;
		/* Pairs with the acquire in ros_chan_busy(). */
		smp_store_release(&a->chan[i].state, HVM_CHAN_IDLE);
	}
	for_each_set_bit(i, rd->chan_retired, HVM_CHAN_MAX) {
		WRITE_ONCE(a->chan[i].flags, 0);
		clear_bit(i, rd->chan_used);
	}
	bitmap_zero(rd->chan_retired, HVM_CHAN_MAX);
	for (i = 0; i < rd->ncpus; i++)
		ros_chan_bound(rd, i);
	for (i = 0; i < HVM_CTX_MAX; i++)
		WRITE_ONCE(a->ctx[i].hrt_active, 0);
	mutex_unlock(&rd->ctx_lock);
}

/* Free and retired channels, free contexts (sysfs, hvmctl stats). */
void ros_chan_counts(struct ros_dev *rd, unsigned int *free,
		     unsigned int *retired, unsigned int *ctx_free)
{
	unsigned int i, n = 0;

	mutex_lock(&rd->ctx_lock);
	*free = HVM_CHAN_MAX - bitmap_weight(rd->chan_used, HVM_CHAN_MAX);
	*retired = bitmap_weight(rd->chan_retired, HVM_CHAN_MAX);
	for (i = 0; i < HVM_CTX_MAX; i++)
		if (!rd->ctxs[i])
			n++;
	*ctx_free = n;
	mutex_unlock(&rd->ctx_lock);
}

static long ros_chan_owned(struct ros_file *f, u32 idx)
{
	if (idx >= HVM_CHAN_MAX || !test_bit(idx, f->chans))
		return -EINVAL;
	return 0;
}

long ros_ioc_chan_close(struct ros_file *f, void __user *up)
{
	struct hvm_chan_ref r;
	long ret;

	if (copy_from_user(&r, up, sizeof(r)))
		return -EFAULT;
	if (r.reserved)
		return -EINVAL;
	mutex_lock(&f->lock);
	ret = ros_chan_owned(f, r.index);
	if (!ret)
		ros_chan_free(f, r.index);
	mutex_unlock(&f->lock);
	return ret;
}

void ros_chan_release_all(struct ros_file *f)
{
	unsigned int i;

	mutex_lock(&f->lock);
	for_each_set_bit(i, f->chans, HVM_CHAN_MAX)
		ros_chan_free(f, i);
	mutex_unlock(&f->lock);
}

long ros_ioc_kick(struct ros_file *f, void __user *up)
{
	struct ros_dev *rd = f->rd;
	struct hvm_kick k;

	if (copy_from_user(&k, up, sizeof(k)))
		return -EFAULT;
	if (k.reserved || k.core >= rd->ncpus)
		return -EINVAL;
	if (ros_state(rd) != HVM_HRT_READY)
		return -EAGAIN;
	return ros_send_ipi(rd, k.core, HVM_HRT_VEC_CHAN);
}

/* -ECANCELED when the HRT that served channel (idx) is no longer there. */
static long ros_chan_alive(struct ros_dev *rd, u32 idx)
{
	if (ros_state(rd) != HVM_HRT_READY ||
	    READ_ONCE(rd->hdr->hrt_boot_count) != rd->chan_boot[idx])
		return -ECANCELED;
	return 0;
}

long ros_ioc_chan_wait(struct ros_file *f, void __user *up)
{
	struct ros_dev *rd = f->rd;
	struct hvm_chan_wait w;
	struct hvm_chan *c;
	long ret, left;

	if (copy_from_user(&w, up, sizeof(w)))
		return -EFAULT;
	if (w.events || memchr_inv(w.reserved, 0, sizeof(w.reserved)) ||
	    w.timeout_ms > 600000)
		return -EINVAL;
	/* Ownership is stable enough without the lock: closing is ours too. */
	ret = ros_chan_owned(f, w.index);
	if (ret)
		return ret;
	c = &ros_chan_area(rd)->chan[w.index];
#define ROS_WAIT_DONE                                                          \
	(hvm_chan_events(c) != w.seen || ros_chan_alive(rd, w.index) ||        \
	 READ_ONCE(rd->gone))
	if (!ROS_WAIT_DONE && w.timeout_ms) {
		left = wait_event_interruptible_timeout(
			rd->wq, ROS_WAIT_DONE, msecs_to_jiffies(w.timeout_ms));
		if (left < 0)
			return -EINTR;
	}
#undef ROS_WAIT_DONE
	w.events = hvm_chan_events(c);
	if (w.events == w.seen) {
		ret = ros_chan_alive(rd, w.index);
		if (!ret)
			ret = -ETIMEDOUT;
		return ret;
	}
	return copy_to_user(up, &w, sizeof(w)) ? -EFAULT : 0;
}

/*
 * Maps the channel area (nothing else of the region) into the caller.
 * Shared and not inherited by fork: a child has no binding of its own.
 */
int ros_chan_mmap(struct ros_file *f, struct vm_area_struct *vma)
{
	struct ros_dev *rd = f->rd;
	unsigned long len = vma->vm_end - vma->vm_start;

	if (vma->vm_pgoff || len > HVM_CHAN_SIZE ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	vma->vm_flags |= VM_IO | VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY;
	return remap_pfn_range(vma, vma->vm_start,
			       (rd->shm_phys + HVM_CHAN_OFF) >> PAGE_SHIFT, len,
			       vma->vm_page_prot);
}
