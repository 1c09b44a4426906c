// SPDX-License-Identifier: GPL-2.0
/* bind.c - merged address spaces: binding a process's mm to a context slot, TLB coherence for HRT cores through an mmu_notifier, teardown. */
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/ktime.h>
#include <linux/delay.h>
#include <linux/uaccess.h>
#include <asm/pgtable.h>

#include "ros.h"

/*
 * How long Linux waits for an HRT core to flush.  A core that has not
 * answered by then (interrupts off that long: an HRT bug, or a host that
 * did not run its vCPU) may still hold translations of the pages Linux
 * frees when we return, so it is stopped, not trusted (ros_ctx_flush).
 */
#define ROS_FLUSH_TIMEOUT_NS (1000 * NSEC_PER_MSEC)

struct ros_bind {
	struct ros_dev *rd;
	struct mm_struct *mm;
	struct mmu_notifier mn;
	unsigned int idx;
	/* Serialises flush_seq updates: invalidations may run on every CPU. */
	spinlock_t flush_lock;
	bool registered; /* notifier registered, slot rd->ctxs[idx] ours */
	bool closing;	 /* ros_unbind owns the teardown */
};

void ros_bind_init(struct ros_dev *rd)
{
	mutex_init(&rd->ctx_lock);
	atomic64_set(&rd->flush_timeouts, 0);
}

static struct hvm_ctx *ros_ctx(struct ros_dev *rd, unsigned int idx)
{
	return &ros_chan_area(rd)->ctx[idx];
}

/*
 * Can HRT cores run process code in state (s)?  READY and HUNG (a hung
 * core may resume).  CRASHED cores halt themselves (hrt_crash stops the
 * others); the other states follow an INIT of every core.
 */
static bool ros_cores_may_run(u32 s)
{
	return s == HVM_HRT_READY || s == HVM_HRT_HUNG;
}

/*
 * Makes every HRT core that has context (idx) loaded flush its TLB, and
 * waits until each has acknowledged or left the context: the HRT walks
 * Linux's own page tables below the top level (docs/libhvm.md, "Coherence
 * with Linux"), so nothing Linux unmapped or freed may stay reachable
 * from an HRT core once this returns.  Busy-waits: it runs from
 * invalidate_range, under page-table locks, where sleeping is not
 * allowed; but with interrupts on (the lock is only taken in process
 * context), so a slow HRT costs this CPU time, not its interrupts.
 * Bounded: a core that does not answer in ROS_FLUSH_TIMEOUT_NS is stopped
 * with an INIT and the HRT marked hung, so Linux's memory management
 * never hangs and no core keeps a stale translation.  (dead) additionally
 * ends invocations: the HRT sees state DEAD and leaves.
 */
static int ros_ctx_flush(struct ros_bind *b, bool dead)
{
	struct ros_dev *rd = b->rd;
	struct hvm_ctx *c = ros_ctx(rd, b->idx);
	u64 seq, mask, pending, deadline;
	unsigned int i;
	int ret = 0;

	spin_lock(&b->flush_lock);
	if (dead) /* pairs with the HRT's acquire of state */
		smp_store_release(&c->state, HVM_CTX_DEAD);
	seq = READ_ONCE(c->flush_seq) + 1;
	WRITE_ONCE(c->flush_seq, seq);
	/* Order the PTE change and flush_seq before reading who is active. */
	smp_mb();
	mask = READ_ONCE(c->hrt_active);
	if (!ros_cores_may_run(ros_state(rd)))
		mask = 0; /* nobody runs; the next boot starts clean */
	pending = 0;
	for (i = 0; i < rd->ncpus; i++) {
		if (!(mask & BIT_ULL(i)))
			continue;
		pending |= BIT_ULL(i);
		ros_send_ipi(rd, i, HVM_HRT_VEC_CHAN);
		/*
		 * In an interrupt-off section it would not take the IPI before
		 * the section ends: its NMI handler flushes (or, for a dead
		 * context, ends the section).
		 */
		if (i < HVM_MAX_HRT_CPUS &&
		    READ_ONCE(rd->hdr->hrt_irqoff_deadline[i]))
			ros_irqoff_nmi(rd, i);
	}
	deadline = ktime_get_ns() + ROS_FLUSH_TIMEOUT_NS;
	while (pending) {
		for (i = 0; i < rd->ncpus; i++) {
			if (!(pending & BIT_ULL(i)))
				continue;
			/* Left the context (dead: must leave) or acknowledged. */
			if (!(READ_ONCE(c->hrt_active) & BIT_ULL(i)) ||
			    (!dead &&
			     (s64)(READ_ONCE(c->flush_ack[i]) - seq) >= 0))
				pending &= ~BIT_ULL(i);
		}
		if (!pending)
			break;
		if (!ros_cores_may_run(ros_state(rd)))
			break; /* stopped or crashed: its cores run nothing */
		if (ktime_get_ns() > deadline) {
			atomic64_inc(&rd->flush_timeouts);
			for (i = 0; i < rd->ncpus; i++)
				if (pending & BIT_ULL(i))
					ros_halt_core(rd, i);
			/*
			 * Hung, as the heartbeat watch would say: the core
			 * stopped answering.  It cannot beat again, so the
			 * HRT stays hung until a reboot.
			 */
			ros_set_state(rd, HVM_HRT_HUNG);
			ros_event(rd);
			dev_err_ratelimited(
				&rd->pdev->dev,
				"ctx %u: HRT cores %llx did not %s in %ld ms: stopped\n",
				b->idx, pending, dead ? "leave" : "flush",
				(long)(ROS_FLUSH_TIMEOUT_NS / NSEC_PER_MSEC));
			ret = -ETIMEDOUT;
			break;
		}
		cpu_relax();
	}
	spin_unlock(&b->flush_lock);
	return ret;
}

/*
 * Called after Linux cleared PTEs in [start, end) and before it frees the
 * pages: exactly where a non-CPU TLB (the HRT cores) must be shot down.
 */
static void ros_mn_invalidate_range(struct mmu_notifier *mn,
				    struct mm_struct *mm, unsigned long start,
				    unsigned long end)
{
	struct ros_bind *b = container_of(mn, struct ros_bind, mn);

	if (start >= end || start >= TASK_SIZE_MAX)
		return;
	ros_ctx_flush(b, false);
}

/* The address space is being torn down (exit): no HRT core may use it now. */
static void ros_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct ros_bind *b = container_of(mn, struct ros_bind, mn);

	ros_ctx_flush(b, true);
}

static const struct mmu_notifier_ops ros_mn_ops = {
	.invalidate_range = ros_mn_invalidate_range,
	.release = ros_mn_release,
};

/*
 * The root the HRT copies its lower 256 entries from.  With PTI the kernel
 * copy's user entries carry NX (so the kernel cannot execute user code);
 * the HRT executes user code, so it gets the user copy.
 */
static phys_addr_t ros_user_pgd_phys(struct mm_struct *mm)
{
	pgd_t *pgd = mm->pgd;

#ifdef CONFIG_PAGE_TABLE_ISOLATION
	if (boot_cpu_has(X86_FEATURE_PTI))
		pgd = kernel_to_user_pgdp(pgd);
#endif
	return __pa(pgd);
}

long ros_ioc_bind(struct ros_file *f, void __user *up)
{
	struct ros_dev *rd = f->rd;
	struct mm_struct *mm = current->mm;
	struct hvm_bind bd;
	struct ros_bind *b;
	struct hvm_ctx *c;
	unsigned int idx;
	long ret;

	if (copy_from_user(&bd, up, sizeof(bd)))
		return -EFAULT;
	if (bd.flags || bd.ctx || bd.gen || bd.hrt_cpus || bd.pgd_phys ||
	    memchr_inv(bd.reserved, 0, sizeof(bd.reserved)))
		return -EINVAL;
	if (!mm)
		return -EINVAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->rd = rd;
	spin_lock_init(&b->flush_lock);

	mutex_lock(&f->lock);
	if (f->bind) {
		ret = -EBUSY;
		goto unlock_file;
	}
	mutex_lock(&rd->ctx_lock);
	for (idx = 0; idx < HVM_CTX_MAX; idx++)
		if (!rd->ctxs[idx])
			break;
	if (idx == HVM_CTX_MAX) {
		ret = -ENOSPC;
		goto unlock_ctx;
	}
	b->idx = idx;
	c = ros_ctx(rd, idx);
	/* The HRT must not see this slot as usable before it is complete. */
	smp_store_release(&c->state, HVM_CTX_FREE);
	WRITE_ONCE(c->hrt_active, 0);

	/* mmgrab keeps the mm_struct and its pgd; the notifier sees exit. */
	mmgrab(mm);
	b->mm = mm;
	b->mn.ops = &ros_mn_ops;
	ret = mmu_notifier_register(&b->mn, mm);
	if (ret) {
		mmdrop(mm);
		goto unlock_ctx;
	}
	b->registered = true;
	WRITE_ONCE(c->pgd_phys, ros_user_pgd_phys(mm));
	/* Its getpid, in its own PID namespace, served by the HRT. */
	WRITE_ONCE(c->tgid, task_tgid_vnr(current));
	WRITE_ONCE(c->gen, c->gen + 1);
	/* Publishes pgd_phys and gen: the HRT acquires state first. */
	smp_store_release(&c->state, HVM_CTX_BOUND);
	rd->ctxs[idx] = b;
	f->bind = b;

	bd.ctx = idx;
	bd.gen = c->gen;
	bd.hrt_cpus = rd->ncpus;
	bd.pgd_phys = c->pgd_phys;
	mutex_unlock(&rd->ctx_lock);
	mutex_unlock(&f->lock);
	if (copy_to_user(up, &bd, sizeof(bd)))
		return -EFAULT; /* still bound: HVM_IOC_UNBIND or close undoes it */
	return 0;

unlock_ctx:
	mutex_unlock(&rd->ctx_lock);
unlock_file:
	mutex_unlock(&f->lock);
	kfree(b);
	return ret;
}

/*
 * Ends the binding of (f): the context goes DEAD (the HRT aborts what runs
 * in it and leaves), the notifier is removed, the slot is freed.  Caller
 * holds f->lock and has released the file's channels.
 */
void ros_unbind(struct ros_file *f)
{
	struct ros_bind *b = f->bind;
	struct ros_dev *rd = f->rd;

	if (!b)
		return;
	mutex_lock(&rd->ctx_lock);
	if (!b->registered) {
		mutex_unlock(&rd->ctx_lock);
		goto free;
	}
	b->closing = true;
	ros_ctx_flush(b, true);
	mutex_unlock(&rd->ctx_lock);
	/* Calls release if exit has not yet; waits for running callbacks. */
	mmu_notifier_unregister(&b->mn, b->mm);
	mutex_lock(&rd->ctx_lock);
	WRITE_ONCE(ros_ctx(rd, b->idx)->pgd_phys, 0);
	/* Pairs with the HRT's acquire of state: no reader sees a stale root. */
	smp_store_release(&ros_ctx(rd, b->idx)->state, HVM_CTX_FREE);
	rd->ctxs[b->idx] = NULL;
	b->registered = false;
	mutex_unlock(&rd->ctx_lock);
free:
	mmdrop(b->mm);
	f->bind = NULL;
	kfree(b);
}

/*
 * The device goes away with files still open: stop using the region now
 * (the notifiers would otherwise touch it after unmap); the files' release
 * only frees memory later.
 */
void ros_bind_exit(struct ros_dev *rd)
{
	unsigned int i;

	mutex_lock(&rd->ctx_lock);
	for (i = 0; i < HVM_CTX_MAX; i++) {
		struct ros_bind *b = rd->ctxs[i];

		if (!b || b->closing)
			continue;
		ros_ctx_flush(b, true);
		rd->ctxs[i] = NULL;
		b->registered = false;
		/* No sleeping lock is held by the callbacks: safe to wait. */
		mutex_unlock(&rd->ctx_lock);
		mmu_notifier_unregister(&b->mn, b->mm);
		mutex_lock(&rd->ctx_lock);
	}
	mutex_unlock(&rd->ctx_lock);
}
