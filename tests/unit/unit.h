/* SPDX-License-Identifier: MIT */
/* unit.h - self-registering cmocka tests: UNIT_TEST(name) { ... }. */
#ifndef HVM_UNIT_H
#define HVM_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

struct unit_test {
	const char *name;
	void (*fn)(void **state);
};

/*
 * Each test places a descriptor in the "unit_tests" section; the runner
 * walks __start_unit_tests..__stop_unit_tests, so no central list exists.
 */
#define UNIT_TEST(tname)                                                       \
	static void tname(void **state);                                       \
	static const struct unit_test unit_desc_##tname                        \
		__attribute__((used, section("unit_tests"),                    \
			       aligned(16))) = { #tname, tname };              \
	static void tname(void **state __attribute__((unused)))

#endif
