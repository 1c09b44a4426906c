// SPDX-License-Identifier: MIT
/* main.c - runs every UNIT_TEST linked in and prints "N passed, N failed". */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct unit_test __start_unit_tests[];
extern const struct unit_test __stop_unit_tests[];

int main(int argc, char **argv)
{
	size_t n = (size_t)(__stop_unit_tests - __start_unit_tests), i, k = 0;
	struct CMUnitTest *tests = calloc(n ? n : 1, sizeof(*tests));
	int failed;

	if (!tests)
		return 1;
	/* cmocka reports on stdout and stderr: keep our summary line last. */
	setvbuf(stdout, NULL, _IONBF, 0);
	for (i = 0; i < n; i++) {
		/* An argument selects tests by substring, for debugging one. */
		if (argc > 1 && !strstr(__start_unit_tests[i].name, argv[1]))
			continue;
		tests[k].name = __start_unit_tests[i].name;
		tests[k].test_func = __start_unit_tests[i].fn;
		k++;
	}
	failed = _cmocka_run_group_tests("hvm-unit", tests, k, NULL, NULL);
	fflush(stderr);
	printf("%zu passed, %d failed\n", k - (size_t)failed, failed);
	free(tests);
	return failed ? 1 : 0;
}
