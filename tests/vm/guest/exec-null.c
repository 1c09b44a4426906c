// SPDX-License-Identifier: MIT
/* exec-null.c - dereferences NULL, for tests/vm/exec.sh (dies of SIGSEGV). */
#include <stdio.h>

int main(void)
{
	int *volatile p = NULL;

	printf("about to dereference NULL\n");
	fflush(stdout);
	return *p;
}
