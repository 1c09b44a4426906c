// SPDX-License-Identifier: MIT
/* priv.c - privileged instructions for process code through allow-lists, never raw. */
#include "api.h"
#include "smp.h"
#include "uctx.h"
#include "uthread.h"
#include "x86.h"

/*
 * Process code on the HRT runs at CPL 0 and could execute these itself;
 * hrt.h offers them as calls so that a program has one checked way that
 * cannot switch off what keeps the HRT alive: no MSR that moves the IDT,
 * the syscall entry, the APIC (its timer, NMI delivery), paging or EFER
 * is on either list.  An MSR the CPU lacks raises #GP (a missing rdpmc
 * #UD, as under TCG), which msr.S turns into -EIO.
 */
struct hrt_msr_rule {
	u32 first, last;
	bool write;
	const char *why;
};

static const struct hrt_msr_rule hrt_msr_rules[] = {
	{ 0x10, 0x10, false, "IA32_TIME_STAMP_COUNTER: time" },
	{ 0xc1, 0xc8, true, "IA32_PMC0-7: general counters" },
	{ 0xce, 0xce, false, "MSR_PLATFORM_INFO: base frequency" },
	{ 0xe7, 0xe8, false, "IA32_MPERF, IA32_APERF: effective frequency" },
	{ 0x186, 0x18d, true, "IA32_PERFEVTSEL0-7: counter events" },
	{ 0x198, 0x198, false, "IA32_PERF_STATUS" },
	{ 0x19c, 0x19c, false, "IA32_THERM_STATUS" },
	{ 0x1a2, 0x1a2, false, "MSR_TEMPERATURE_TARGET" },
	{ 0x309, 0x30b, true, "IA32_FIXED_CTR0-2: fixed counters" },
	{ 0x38d, 0x38d, true, "IA32_FIXED_CTR_CTRL" },
	{ 0x38e, 0x38e, false, "IA32_PERF_GLOBAL_STATUS" },
	{ 0x38f, 0x38f, true, "IA32_PERF_GLOBAL_CTRL" },
	{ 0x390, 0x390, true, "IA32_PERF_GLOBAL_OVF_CTRL" },
	{ 0xc0000103, 0xc0000103, false, "IA32_TSC_AUX: rdtscp's value" },
};

/* msr.S: 0: rdmsr (*v), 1: wrmsr (*v), 2: rdpmc (*v); 0 or -EIO. */
int hrt_priv_safe(u32 op, u32 idx, u64 *v);
extern const char hrt_priv_insns[], hrt_priv_insns_end[];

bool hrt_priv_insn(u64 rip)
{
	return rip >= (u64)hrt_priv_insns && rip < (u64)hrt_priv_insns_end;
}

static const struct hrt_msr_rule *hrt_msr_rule(u32 msr)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(hrt_msr_rules); i++)
		if (msr >= hrt_msr_rules[i].first &&
		    msr <= hrt_msr_rules[i].last)
			return &hrt_msr_rules[i];
	return NULL;
}

/* The wrapper wrote (*out) first: its page is present and writable. */
static s64 hrt_priv_put(u64 out, u64 v)
{
	if (!out || (out & 7) || !hrt_user_addr(out + 7))
		return -EFAULT;
	return hrt_copy_user((void *)out, &v, sizeof(v));
}

s64 hrt_api_rdmsr(u64 msr, u64 out)
{
	u64 v = 0;
	int r;

	if (!hrt_api_caller())
		return -ENOTSUP;
	if (msr > 0xffffffffull || !hrt_msr_rule((u32)msr))
		return -EPERM;
	r = hrt_priv_safe(0, (u32)msr, &v);
	return r ? r : hrt_priv_put(out, v);
}

s64 hrt_api_wrmsr(u64 msr, u64 val)
{
	const struct hrt_msr_rule *rule;

	if (!hrt_api_caller())
		return -ENOTSUP;
	rule = msr > 0xffffffffull ? NULL : hrt_msr_rule((u32)msr);
	if (!rule || !rule->write)
		return -EPERM;
	return hrt_priv_safe(1, (u32)msr, &val);
}

s64 hrt_api_rdpmc(u64 counter, u64 out)
{
	u64 v = 0;
	int r;

	if (!hrt_api_caller())
		return -ENOTSUP;
	if (counter > 0xffffffffull)
		return -EINVAL;
	r = hrt_priv_safe(2, (u32)counter, &v);
	return r ? r : hrt_priv_put(out, v);
}
