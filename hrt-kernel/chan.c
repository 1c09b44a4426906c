/* chan.c - the channel service: runs offloaded functions in merged address spaces, forwards their system calls and page faults to the ROS. */
#include "chan.h"
#include "apic.h"
#include "boot.h"
#include "buddy.h"
#include "gdt.h"
#include "hvm_chan.h"
#include "hvmipi.h"
#include "idt.h"
#include "log.h"
#include "mm.h"
#include "smp.h"
#include "string.h"
#include "thread.h"
#include "x86.h"

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define EFER_SCE (1u << 0)

#define USER_TOP 0x0000800000000000ull
/* Idle: poll the kick word this long after the last request, then halt. */
#define HRT_CHAN_POLL_US 500
/* The same fault served this often without effect is a real fault. */
#define HRT_FAULT_REPEAT 4

/* Linux x86-64 system call numbers the HRT itself cares about. */
#define NR_MMAP 9
#define NR_MPROTECT 10
#define NR_MUNMAP 11
#define NR_BRK 12
#define NR_MREMAP 25
#define NR_MADVISE 28
#define NR_EXIT 60
#define NR_EXIT_GROUP 231

struct hrt_ucall_ret {
	long result;
	long status;
};

struct hrt_ucall_ret hrt_user_call(u64 fn, u64 arg, u64 core_index,
				   u64 stack_top);
__noreturn void hrt_user_abort_to(long status);
extern char hrt_user_abort_landing[];
extern char hrt_syscall_entry[];

/* Per HRT core: what it runs now. */
struct hrt_chan_cpu {
	u64 *root;		/* this core's merged-context PML4 */
	struct hvm_ctx *ctx;	/* loaded context, or NULL */
	u32 ctx_idx;
	struct hvm_chan *cur;	/* channel of the running invocation */
	u32 cur_idx;
	bool in_user;		/* fn is running (maybe inside a forward) */
	bool in_kernel;		/* ... but now in our syscall/fault code */
	u64 last_fault;		/* page | error code of the last served fault */
	int fault_repeat;
	/* The service thread while it sleeps in the scheduler; the kick IPI wakes it. */
	struct hrt_thread *sleeper;
};

static struct hrt_chan_cpu hrt_chan_cpus[HRT_MAX_CPUS];
static struct hvm_chan_area *hrt_area;
/* Last req_seq taken per channel; a channel is served by one core at a time. */
static u64 hrt_chan_last[HVM_CHAN_MAX];
static u64 hrt_poll_cycles;

static bool hrt_chan_user_addr(u64 a)
{
	return a < USER_TOP;
}

/* Copies the process's user half into this core's root. */
static bool hrt_ctx_sync(struct hrt_chan_cpu *cc)
{
	u64 pgd = READ_ONCE(cc->ctx->pgd_phys);
	const u64 *src;
	int i;

	if (!pgd || (pgd & 0xfff) || pgd + PAGE_SIZE > hrt_direct_map_bytes)
		return false;
	src = hrt_phys_to_virt(pgd);
	for (i = 0; i < 256; i++)
		cc->root[i] = READ_ONCE(src[i]);
	return true;
}

static void hrt_ctx_leave(struct hrt_chan_cpu *cc, u32 me)
{
	if (!cc->ctx)
		return;
	/* Loading the kernel root drops every non-global (user) TLB entry. */
	hrt_write_cr3(hrt_kernel_cr3);
	__atomic_and_fetch(&cc->ctx->hrt_active, ~(1ull << me), __ATOMIC_SEQ_CST);
	__atomic_store_n(&cc->ctx->flush_ack[me],
			 READ_ONCE(cc->ctx->flush_seq), __ATOMIC_RELEASE);
	cc->ctx = NULL;
}

static int hrt_ctx_enter(struct hrt_chan_cpu *cc, u32 me, u32 idx)
{
	struct hvm_ctx *x;

	if (idx >= HVM_CTX_MAX)
		return -EINVAL;
	x = &hrt_area->ctx[idx];
	/*
	 * Announce first, then read state and tables: hvm.ko changes PTEs,
	 * then reads hrt_active; whichever order they meet in, either it
	 * waits for us or we see its change.
	 */
	__atomic_or_fetch(&x->hrt_active, 1ull << me, __ATOMIC_SEQ_CST);
	cc->ctx = x;
	cc->ctx_idx = idx;
	__atomic_store_n(&x->flush_ack[me], READ_ONCE(x->flush_seq),
			 __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&x->state, __ATOMIC_ACQUIRE) != HVM_CTX_BOUND ||
	    !hrt_ctx_sync(cc)) {
		hrt_ctx_leave(cc, me);
		return -EINVAL;
	}
	hrt_write_cr3(hrt_virt_to_phys(cc->root));
	return 0;
}

/*
 * Acknowledges a flush request of the loaded context (reloads its user
 * half and CR3).  Returns false when the context died: the caller ends
 * the invocation.
 */
static bool hrt_ctx_check(struct hrt_chan_cpu *cc, u32 me)
{
	struct hvm_ctx *x = cc->ctx;
	u64 seq;

	if (!x)
		return true;
	seq = __atomic_load_n(&x->flush_seq, __ATOMIC_ACQUIRE);
	if (seq != READ_ONCE(x->flush_ack[me])) {
		hrt_ctx_sync(cc);
		hrt_write_cr3(hrt_virt_to_phys(cc->root));
		__atomic_store_n(&x->flush_ack[me], seq, __ATOMIC_RELEASE);
	}
	return __atomic_load_n(&x->state, __ATOMIC_ACQUIRE) == HVM_CTX_BOUND;
}

/* Interrupts the ROS when the waiting thread asked for it. */
static void hrt_chan_notify(struct hvm_chan *c)
{
	/* The ROS stores flags, fences, reads evt_seq; we the reverse. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (READ_ONCE(c->flags) & HVM_CHAN_F_NOTIFY)
		hrt_hvm_notify_ros();
}

#define HRT_FWD_ABORTED (-0x7fffffffffffll)

/*
 * Posts a forwarded call or fault and spins for the reply, acknowledging
 * TLB flushes meanwhile (interrupts may be off: the #PF path).  Returns
 * the reply or HRT_FWD_ABORTED.
 */
static s64 hrt_chan_forward(struct hrt_chan_cpu *cc, u32 me, u32 state,
			    u64 nr, const u64 *args)
{
	struct hvm_chan *c = cc->cur;
	u64 t0 = hrt_rdtsc();
	s64 ret;
	int i;

	c->nr = nr;
	for (i = 0; i < 6; i++)
		c->args[i] = args[i];
	c->nr_forwarded++;
	hvm_chan_event(c, state);
	hrt_chan_notify(c);
	for (;;) {
		u32 op = hvm_chan_take(c, &hrt_chan_last[cc->cur_idx]);

		if (op == HVM_OP_REPLY) {
			ret = READ_ONCE(c->reply);
			break;
		}
		if (op == HVM_OP_ABORT || !hrt_ctx_check(cc, me) ||
		    READ_ONCE(hrt_shm->hrt_state) != HVM_HRT_READY) {
			ret = HRT_FWD_ABORTED;
			break;
		}
		hrt_pause();
	}
	__atomic_store_n(&c->state, HVM_CHAN_RUNNING, __ATOMIC_RELAXED);
	c->fwd_cycles += hrt_rdtsc() - t0;
	return ret;
}

static void hrt_chan_fill_fault(struct hvm_chan *c, const struct hrt_regs *r,
				u64 addr)
{
	struct hvm_fault *f = &c->fault;

	f->vector = (u32)r->vector;
	f->error_code = (u32)r->error;
	f->address = addr;
	f->rip = r->rip;
	f->rsp = r->rsp;
	f->rflags = r->rflags;
	f->regs[0] = r->rax;
	f->regs[1] = r->rbx;
	f->regs[2] = r->rcx;
	f->regs[3] = r->rdx;
	f->regs[4] = r->rsi;
	f->regs[5] = r->rdi;
	f->regs[6] = r->rbp;
	f->regs[7] = r->rsp;
	f->regs[8] = r->r8;
	f->regs[9] = r->r9;
	f->regs[10] = r->r10;
	f->regs[11] = r->r11;
	f->regs[12] = r->r12;
	f->regs[13] = r->r13;
	f->regs[14] = r->r14;
	f->regs[15] = r->r15;
}

/*
 * Ends the invocation from the exception handler.  When the exception hit
 * the interrupt stub (frame copy into an unusable user stack), that
 * interrupt is abandoned with it: EOI it, or its priority class stays
 * blocked in the LAPIC.
 */
static __noreturn void hrt_chan_abandon(struct hrt_regs *r, long status)
{
	if (!hrt_chan_user_addr(r->rip) &&
	    !(r->rip >= (u64)hrt_user_call && r->rip < (u64)hrt_user_abort_to))
		hrt_apic_eoi();
	hrt_user_abort_to(status);
}

bool hrt_chan_exception(struct hrt_regs *r)
{
	struct hrt_chan_cpu *cc;
	u32 me;
	u64 cr2 = hrt_read_cr2(), args[6] = { 0 }, key;
	s64 rep;

	if (!hrt_boot_percpu_ready || !hrt_area)
		return false;
	me = hrt_cpu_id();
	cc = &hrt_chan_cpus[me];
	if (!cc->in_user || cc->in_kernel || r->vector == 2 ||
	    r->vector == 8 || r->vector == 18)
		return false;
	/*
	 * Offloaded code's own fault, or the interrupt stub copying a frame
	 * below the user rsp into a guard page: both are the invocation's.
	 */
	if (!hrt_chan_user_addr(r->rip) &&
	    !(r->vector == 14 && hrt_chan_user_addr(cr2)))
		return false;
	/*
	 * Our own entry code touches the user stack too (the call into fn,
	 * an interrupt frame copied below the user rsp): a page that fork
	 * made copy-on-write or reclaim took away is served the same way.
	 */
	if (r->vector == 14 && hrt_chan_user_addr(cr2)) {
		key = (cr2 & ~0xfffull) | (r->error & 0xfff);
		if (key == cc->last_fault)
			cc->fault_repeat++;
		else
			cc->fault_repeat = 0;
		cc->last_fault = key;
		if (cc->fault_repeat < HRT_FAULT_REPEAT) {
			args[0] = cr2;
			args[1] = r->error;
			cc->in_kernel = true;
			rep = hrt_chan_forward(cc, me, HVM_CHAN_FAULT, 0, args);
			cc->in_kernel = false;
			if (rep == HRT_FWD_ABORTED)
				hrt_chan_abandon(r, -ECANCELED);
			if (rep == 0) {
				/* A new top-level entry is only in Linux's root. */
				if (!(cc->root[(cr2 >> 39) & 511] & PTE_P))
					hrt_ctx_sync(cc);
				hrt_invlpg(cr2);
				return true; /* retry the access */
			}
		}
	}
	hrt_chan_fill_fault(cc->cur, r, r->vector == 14 ? cr2 : 0);
	hrt_printf("hrt: cpu %u: offloaded code faulted: vector %lu error %lx "
		   "rip %lx addr %lx (channel %u)\n",
		   me, r->vector, r->error, r->rip, r->vector == 14 ? cr2 : 0,
		   cc->cur_idx);
	hrt_chan_abandon(r, -EFAULT);
}

/* The C half of hrt_syscall_entry; r->rax becomes the call's result. */
void hrt_chan_syscall(struct hrt_regs *r)
{
	u32 me = hrt_cpu_id();
	struct hrt_chan_cpu *cc = &hrt_chan_cpus[me];
	u64 nr = r->rax, args[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8,
				     r->r9 };
	s64 ret;

	if (!cc->in_user || cc->in_kernel) {
		r->rax = (u64)-ENOSYS;
		return;
	}
	if (nr == NR_EXIT || nr == NR_EXIT_GROUP) {
		/* The thread cannot end: the invocation does, with the code. */
		cc->cur->result = args[0];
		hrt_user_abort_to(-ENOSYS);
	}
	cc->in_kernel = true;
	hrt_sti();
	ret = hrt_chan_forward(cc, me, HVM_CHAN_SYSCALL, nr, args);
	hrt_cli();
	cc->in_kernel = false;
	if (ret == HRT_FWD_ABORTED)
		hrt_user_abort_to(-ECANCELED);
	switch (nr) {
	case NR_MMAP:
	case NR_MPROTECT:
	case NR_MUNMAP:
	case NR_BRK:
	case NR_MREMAP:
	case NR_MADVISE:
		/* Linux changed the tables: drop what this TLB still holds. */
		hrt_ctx_sync(cc);
		hrt_write_cr3(hrt_virt_to_phys(cc->root));
		break;
	}
	r->rax = (u64)ret;
}

/* HVM_HRT_VEC_CHAN: flushes, aborts; new work is found by the service loop. */
static void hrt_chan_irq(struct hrt_regs *r)
{
	u32 me = hrt_cpu_id();
	struct hrt_chan_cpu *cc = &hrt_chan_cpus[me];
	struct hrt_thread *s = __atomic_exchange_n(&cc->sleeper, NULL, __ATOMIC_ACQ_REL);
	bool alive;
	struct hvm_chan *c = cc->cur;

	/* A kick for a sleeping service thread: make it runnable again. */
	if (s)
		hrt_wake(s);
	alive = hrt_ctx_check(cc, me);
	if (!cc->in_user || cc->in_kernel || !hrt_chan_user_addr(r->rip))
		return; /* the wait loops look at ABORT and DEAD themselves */
	if (alive &&
	    hvm_chan_take(c, &hrt_chan_last[cc->cur_idx]) != HVM_OP_ABORT)
		return;
	/* Leave the function: iretq lands in hrt_user_abort_landing. */
	r->rax = (u64)-ECANCELED;
	r->rip = (u64)hrt_user_abort_landing;
	r->cs = HRT_KCODE;
	r->ss = HRT_KDATA;
	r->rsp = hrt_this_cpu()->ucall_rsp;
	r->rflags = 0x2;
}

static void hrt_chan_run(struct hrt_chan_cpu *cc, u32 me, u32 idx,
			 struct hvm_chan *c)
{
	struct hrt_ucall_ret ret = { 0, 0 };
	u64 fn = READ_ONCE(c->fn), stack = READ_ONCE(c->stack_top);

	c->t_pickup = hrt_rdtsc();
	c->nr_forwarded = 0;
	c->fwd_cycles = 0;
	c->result = 0;
	memset(&c->fault, 0, sizeof(c->fault));
	if (!fn || !hrt_chan_user_addr(fn) || !stack ||
	    !hrt_chan_user_addr(stack - 1) || (stack & 15) ||
	    hrt_ctx_enter(cc, me, READ_ONCE(c->ctx))) {
		hvm_chan_finish(c, -EINVAL, 0);
		hrt_chan_notify(c);
		return;
	}
	__atomic_store_n(&c->state, HVM_CHAN_RUNNING, __ATOMIC_RELEASE);
	hrt_wrmsr(MSR_FS_BASE, READ_ONCE(c->fs_base));
	cc->cur = c;
	cc->cur_idx = idx;
	cc->last_fault = ~0ull;
	cc->fault_repeat = 0;
	hrt_cli();
	cc->in_user = true;
	c->t_start = hrt_rdtsc();
	ret = hrt_user_call(fn, READ_ONCE(c->arg), READ_ONCE(c->core_index),
			    stack);
	cc->in_user = false;
	cc->in_kernel = false;
	hrt_sti();
	hrt_ctx_leave(cc, me);
	cc->cur = NULL;
	if (ret.status)
		hvm_chan_finish(c, (int32_t)ret.status, c->result);
	else
		hvm_chan_finish(c, 0, (u64)ret.result);
	hrt_chan_notify(c);
}

/* Takes every new request on this core's channels; true if there was one. */
static bool hrt_chan_scan(struct hrt_chan_cpu *cc, u32 me)
{
	u64 hi = __atomic_load_n(&hrt_area->kick[me][1], __ATOMIC_ACQUIRE);
	bool any = false;
	u32 i;

	if (hi > HVM_CHAN_MAX)
		hi = HVM_CHAN_MAX;
	for (i = 0; i < hi; i++) {
		struct hvm_chan *c = &hrt_area->chan[i];

		if (READ_ONCE(c->core) != me)
			continue;
		/* Stale REPLY/ABORT (nothing runs here) are dropped. */
		if (hvm_chan_take(c, &hrt_chan_last[i]) == HVM_OP_INVOKE) {
			hrt_chan_run(cc, me, i, c);
			any = true;
		}
	}
	return any;
}

static long hrt_chan_service(void *arg)
{
	u32 me = hrt_cpu_id();
	struct hrt_chan_cpu *cc = &hrt_chan_cpus[me];
	u64 kicks = ~0ull, k, busy = hrt_rdtsc();
	volatile u64 *halted = &hrt_area->kick[me][2];

	(void)arg;
	hrt_wrmsr(MSR_EFER, hrt_rdmsr(MSR_EFER) | EFER_SCE);
	hrt_wrmsr(MSR_STAR, (u64)HRT_KCODE << 32);
	hrt_wrmsr(MSR_LSTAR, (u64)hrt_syscall_entry);
	/* IF, TF, DF, AC off on entry: the stack switch must not be interrupted. */
	hrt_wrmsr(MSR_FMASK, (1u << 9) | (1u << 8) | (1u << 10) | (1u << 18));
	for (;;) {
		k = hvm_chan_kicks(hrt_area, me);
		if (k != kicks) {
			kicks = k;
			if (hrt_chan_scan(cc, me))
				busy = hrt_rdtsc();
			continue;
		}
		/* Other threads of this core come first: polling only fills idle time. */
		if (READ_ONCE(hrt_this_cpu()->rq.nr)) {
			hrt_thread_yield();
			continue;
		}
		if (hrt_rdtsc() - busy < hrt_poll_cycles) {
			hrt_pause();
			continue;
		}
		/*
		 * Sleep in the scheduler until a kick IPI (kick[2] tells the ROS
		 * one is needed), so the core runs other threads or halts in the
		 * idle loop.  Interrupts stay off from the last look at the kick
		 * word to the switch: the IPI cannot slip in between.
		 */
		hrt_cli();
		*halted = 1;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (hvm_chan_kicks(hrt_area, me) == kicks) {
			hrt_current()->state = HRT_T_BLOCKED;
			__atomic_store_n(&cc->sleeper, hrt_current(), __ATOMIC_RELEASE);
			hrt_schedule();
		}
		__atomic_store_n(&cc->sleeper, NULL, __ATOMIC_RELEASE);
		*halted = 0;
		hrt_sti();
		busy = hrt_rdtsc();
	}
	return 0;
}

void hrt_chan_start(void)
{
	u32 i, n = 0;
	u64 *kroot;

	if (!hrt_hvm_mode)
		return;
	hrt_area = hrt_phys_to_virt(hrt_bootinfo->region_phys + HVM_CHAN_OFF);
	hrt_poll_cycles = hrt_bootinfo->tsc_khz * HRT_CHAN_POLL_US / 1000;
	kroot = hrt_phys_to_virt(hrt_kernel_cr3);
	for (i = 0; i < HVM_CHAN_MAX; i++)
		hrt_chan_last[i] = READ_ONCE(hrt_area->chan[i].req_seq);
	for (i = 0; i < hrt_ncpus; i++) {
		struct hrt_chan_cpu *cc = &hrt_chan_cpus[i];

		hrt_area->kick[i][2] = 0;
		if (!hrt_cpus[i].online)
			continue;
		cc->root = hrt_pages_zalloc(0);
		if (!cc->root) {
			hrt_printf("hrt: chan: no memory for cpu %u\n", i);
			continue;
		}
		/* The kernel half is shared: its PML4 entries never change. */
		memcpy(cc->root + 256, kroot + 256, 256 * sizeof(u64));
		if (!hrt_thread_create(hrt_chan_service, NULL, "chan", (int)i, 0))
			hrt_printf("hrt: chan: no service thread on cpu %u\n", i);
		else
			n++;
	}
	hrt_irq_register(HVM_HRT_VEC_CHAN, hrt_chan_irq);
	hrt_printf("hrt: channel service on %u core(s)\n", n);
}
