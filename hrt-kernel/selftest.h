/* SPDX-License-Identifier: MIT */
/* selftest.h - in-kernel self-tests registered in the .hrt_tests linker section. */
#ifndef HRT_SELFTEST_H
#define HRT_SELFTEST_H

#include "log.h"
#include "types.h"

struct hrt_test {
	const char *name;
	int (*fn)(void); /* 0 = pass */
	u64 broken;	 /* deliberately wrong: only with selftest.broken=1 */
};

#define HRT_TEST_DEFINE(tname, brk)                                            \
	static int hrt_test_##tname(void);                                     \
	static const struct hrt_test hrt_test_rec_##tname __used __section(    \
		".hrt_tests")                                                  \
		__aligned(8) = { #tname, hrt_test_##tname, brk };              \
	static int hrt_test_##tname(void)

/* HRT_TEST(name) { ...; return 0; } registers a self-test. */
#define HRT_TEST(tname)	       HRT_TEST_DEFINE(tname, 0)
#define HRT_TEST_BROKEN(tname) HRT_TEST_DEFINE(tname, 1)

/* Fails the test (returns 1 from it) with the condition and location. */
#define HRT_EXPECT(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			hrt_printf("  FAILED: %s (%s:%d)\n", #cond, __FILE__,  \
				   __LINE__);                                  \
			return 1;                                              \
		}                                                              \
	} while (0)

/* Runs every test in its own fault-isolated thread; returns the failures. */
int hrt_selftest_run(void);

#endif /* HRT_SELFTEST_H */
