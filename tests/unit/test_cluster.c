// SPDX-License-Identifier: MIT
/* test_cluster.c - --cluster: NAME:I/N parsing, port ranges, QEMU's NIC arguments. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "options.h"

UNIT_TEST(cluster_parse_accepts_name_node_of_nodes)
{
	struct cluster_spec s;
	char err[200];

	assert_int_equal(cluster_parse("mpi-1_A:1/2", &s, err, sizeof(err)), 0);
	assert_string_equal(s.name, "mpi-1_A");
	assert_int_equal(s.node, 1);
	assert_int_equal(s.nodes, 2);
	assert_int_equal(cluster_parse("c:62/63", &s, err, sizeof(err)), 0);
	assert_int_equal(s.node, 62);
}

UNIT_TEST(cluster_parse_refuses_malformed_and_out_of_range)
{
	static const struct {
		const char *arg, *why;
	} bad[] = {
		{ "c", "NAME:I/N" },
		{ "c:1", "NAME:I/N" },
		{ ":0/2", "NAME:I/N" },
		{ "c:x/2", "NAME:I/N" },
		{ "c:0/", "NAME:I/N" },
		{ "c:0/2x", "NAME:I/N" },
		{ "c:-1/2", "NAME:I/N" },
		{ "c:2/2", "does not exist" },
		{ "c:5/3", "does not exist" },
		{ "c:0/1", "2 to 63" },
		{ "c:0/64", "2 to 63" },
		{ "a b:0/2", "letters" },
		{ "a/b:0/2", "letters" },
		{ "x123456789012345678901234567890123:0/2", "longer" },
	};
	struct cluster_spec s;
	char err[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (cluster_parse(bad[i].arg, &s, err, sizeof(err)) !=
			    -EINVAL ||
		    !strstr(err, bad[i].why))
			fail_msg("'%s': '%s', want /%s/", bad[i].arg, err,
				 bad[i].why);
	}
}

UNIT_TEST(cluster_ports_are_a_fixed_loopback_range_per_name)
{
	unsigned int a = cluster_port_base("alpha"), b;

	assert_int_equal(a, cluster_port_base("alpha"));
	assert_true(a >= CLUSTER_PORT_FIRST);
	assert_true(a + CLUSTER_PORT_SPAN <=
		    CLUSTER_PORT_FIRST +
			    CLUSTER_PORT_SPAN * CLUSTER_PORT_SLOTS);
	assert_int_equal((a - CLUSTER_PORT_FIRST) % CLUSTER_PORT_SPAN, 0);
	b = cluster_port_base("beta");
	assert_int_not_equal(a, b);
}

UNIT_TEST(cluster_qemu_args_listen_on_node0_and_connect_elsewhere)
{
	struct cluster_spec s = { .name = "t", .node = 0, .nodes = 3 };
	unsigned int base = cluster_port_base("t");
	struct strv v = { 0 };
	char want[96];
	char *all;

	assert_int_equal(cluster_qemu_args(&s, &v), 0);
	all = strv_join(&v, " ");
	snprintf(want, sizeof(want), "socket,id=cl1,listen=127.0.0.1:%u",
		 base + 1);
	assert_non_null(strstr(all, want));
	snprintf(want, sizeof(want), "socket,id=cl2,listen=127.0.0.1:%u",
		 base + 2);
	assert_non_null(strstr(all, want));
	assert_non_null(strstr(all, "mac=" CLUSTER_MAC_PREFIX "00"));
	assert_null(strstr(all, "connect="));
	free(all);
	strv_free(&v);

	s.node = 2;
	assert_int_equal(cluster_qemu_args(&s, &v), 0);
	all = strv_join(&v, " ");
	snprintf(want, sizeof(want), "socket,id=cl0,connect=127.0.0.1:%u",
		 base + 2);
	assert_non_null(strstr(all, want));
	assert_non_null(strstr(all, "mac=" CLUSTER_MAC_PREFIX "02"));
	assert_null(strstr(all, "listen="));
	/* Only the loopback address, ever. */
	assert_null(strstr(all, "0.0.0.0"));
	free(all);
	strv_free(&v);
}

UNIT_TEST(cluster_option_needs_host_root_and_gives_workers_a_command)
{
	char *ok[] = { "hvm-run", "--host-root", "--cluster", "c:1/2", NULL };
	char *nohost[] = { "hvm-run", "--cluster", "c:0/2", "--", "true", NULL };
	char *lead[] = { "hvm-run", "--host-root", "--cluster", "c:0/2", NULL };
	struct options o;
	char err[256];

	assert_int_equal(options_parse(&o, 4, ok, err, sizeof(err)), 0);
	assert_true(o.cluster_set);
	assert_int_equal(o.cluster.node, 1);
	assert_int_equal(o.cmd_argc, 2);
	assert_string_equal(o.cmd[0], "sleep");
	assert_int_equal(o.cluster_wait, CLUSTER_WAIT_S);
	/* The boot limit covers node 0's wait for the others. */
	assert_int_equal(o.boot_timeout, 120 + CLUSTER_WAIT_S);
	options_free(&o);
	assert_int_equal(options_parse(&o, 5, nohost, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--cluster needs --host-root"));
	options_free(&o);
	/* Node 0 runs the job: it needs a command like any --host-root. */
	assert_int_equal(options_parse(&o, 4, lead, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs a command"));
	options_free(&o);
}
