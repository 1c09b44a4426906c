// SPDX-License-Identifier: MIT
/* test_pin.c - vCPU pinning plans: separate ROS and HRT host cores. */
#include "unit.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "pin.h"

UNIT_TEST(pin_two_cpus_one_to_one)
{
	const int cpus[] = { 0, 1 };
	int assign[2] = { -1, -1 };
	char note[256] = "junk";

	assert_int_equal(pin_plan(cpus, 2, 1, 1, assign, note, sizeof(note)),
			 0);
	assert_int_equal(assign[0], 0);
	assert_int_equal(assign[1], 1);
	assert_string_equal(note, "");
}

UNIT_TEST(pin_two_cpus_two_hrt_share_a_core)
{
	const int cpus[] = { 0, 1 };
	int assign[3] = { -1, -1, -1 };
	char note[256];

	assert_int_equal(pin_plan(cpus, 2, 1, 2, assign, note, sizeof(note)),
			 0);
	assert_int_equal(assign[0], 0);
	assert_int_equal(assign[1], 1);
	assert_int_equal(assign[2], 1);
	assert_non_null(strstr(note, "--pin"));
	assert_non_null(strstr(note, "2 HRT vCPU(s) per core"));
}

UNIT_TEST(pin_four_cpus_disjoint_sets)
{
	/* Non-contiguous host CPU numbers: assignments use the list's values. */
	const int cpus[] = { 2, 5, 7, 9 };
	int assign[4];
	char note[256];
	int i, j;

	assert_int_equal(pin_plan(cpus, 4, 2, 2, assign, note, sizeof(note)),
			 0);
	assert_string_equal(note, "");
	assert_int_equal(assign[0], 2);
	assert_int_equal(assign[1], 5);
	assert_int_equal(assign[2], 7);
	assert_int_equal(assign[3], 9);
	for (i = 0; i < 2; i++)
		for (j = 2; j < 4; j++)
			assert_int_not_equal(assign[i], assign[j]);
}

UNIT_TEST(pin_more_ros_than_cores_never_touches_hrt_cores)
{
	const int cpus[] = { 0, 1, 2 };
	int assign[5];
	char note[256];
	int i;

	/* 4 ROS + 1 HRT on 3 cores: HRT gets cpu2, ROS shares 0 and 1. */
	assert_int_equal(pin_plan(cpus, 3, 4, 1, assign, note, sizeof(note)),
			 0);
	for (i = 0; i < 4; i++)
		assert_true(assign[i] == 0 || assign[i] == 1);
	assert_int_equal(assign[4], 2);
	assert_string_not_equal(note, "");
}

UNIT_TEST(pin_single_cpu_is_enospc)
{
	const int cpus[] = { 0 };
	int assign[2];
	char note[256];

	assert_int_equal(pin_plan(cpus, 1, 1, 1, assign, note, sizeof(note)),
			 -ENOSPC);
	assert_non_null(strstr(note, "only 1 host core"));
}

UNIT_TEST(pin_thread_sets_affinity)
{
	cpu_set_t saved, now;
	int cpu, i;

	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &saved); cpu++)
		;
	assert_true(cpu < CPU_SETSIZE);
	assert_int_equal(pin_thread(gettid(), cpu), 0);
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_int_equal(CPU_COUNT(&now), 1);
	assert_true(CPU_ISSET(cpu, &now));
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	/* A thread that does not exist. */
	i = pin_thread(0x3fffffff, cpu);
	assert_int_equal(i, -ESRCH);
}
