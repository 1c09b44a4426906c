/* SPDX-License-Identifier: MIT */
/* signals.h - libhvm internals: signals for HRT code, delivered on the HRT. */
#ifndef HVM_SIGNALS_H
#define HVM_SIGNALS_H

#include <stdbool.h>
#include <stdint.h>

/* The kernel's struct sigaction for rt_sigaction (8-byte mask). */
struct hvm_ksigaction {
	uint64_t handler, flags, restorer, mask;
};

/* The channel the calling thread serves, or -1 (set around serving). */
extern __thread int hvm_sig_chan __attribute__((tls_model("initial-exec")));

/*
 * rt_sigaction(sig, act, oact, size) made by HRT code: a handler is
 * recorded and Linux gets libhvm's trap instead, which hands the signal
 * to the HRT thread.  Returns what rt_sigaction would.
 */
long hvm_sig_action(uint64_t sig, uint64_t act, uint64_t oact, uint64_t size);
/*
 * HRT code on channel (idx) faulted; Linux would send (sig) with (code)
 * and (addr): records it for delivery (HVM_SIGNAL_CAUGHT) when the process
 * has a handler and the signal is not blocked, HVM_SIGNAL_RETRY when
 * another signal holds the record, else HVM_SIGNAL_FATAL.
 */
long hvm_sig_fault(int idx, uint64_t sig, uint64_t code, uint64_t addr);
/*
 * Before a forwarded call on channel (idx): signals held while the record
 * was in use are unblocked if it is free now.  True if one was caught:
 * the call should not run but be replayed after its handler.
 */
bool hvm_sig_unhold(int idx);
/*
 * rt_sigprocmask(how, set, oset, size) made by HRT code on (idx): as
 * Linux's, with the signals we hold kept out of what it reads and given
 * to the code where it names them; the trap runs only after the new mask
 * is set.  A signal posted and not yet delivered comes first: -EINTR and
 * (*replay) set, the call not made.
 */
long hvm_sig_procmask(int idx, uint64_t how, uint64_t set, uint64_t oset,
		      uint64_t size, bool *replay);
/*
 * Before a forwarded call on channel (idx): true if a signal is caught or
 * posted and not yet delivered, so the call must wait until after its
 * handler (answered -EINTR and replayed: hvm_sig_post with replay).
 */
bool hvm_sig_first(int idx);
/*
 * rt_sigreturn's mask restore on the HRT (HVM_NR_SIGRETURN) to (set), on
 * (idx): as rt_sigprocmask(SIG_SETMASK), and a signal posted meanwhile is
 * given that mask to save and its handler's mask, as Linux's delivery
 * after sigreturn would.  Returns what rt_sigprocmask would.
 */
long hvm_sig_return(int idx, uint64_t set);
/*
 * After a forwarded call (nr) returned (r) on channel (idx): posts a
 * signal the trap caught meanwhile, to be delivered as the call returns
 * (restarted after the handler if SA_RESTART says so, or always if
 * (replay): the call never ran).  True if posted.
 */
bool hvm_sig_post(int idx, uint64_t nr, long r, bool replay);
/* While HRT code runs on (idx): posts a caught signal and interrupts it. */
void hvm_sig_interrupt(int idx);
/*
 * The calling thread stops serving (idx) (its call ended): a signal the
 * code did not get is raised again here, for a native handler.
 */
void hvm_sig_unserve(int idx);
/*
 * A forked child (no HRT code of its own): no channel, no records, and
 * the actions HRT code installed given to Linux as they are.
 */
void hvm_sig_forget(void);

#endif /* HVM_SIGNALS_H */
