/* SPDX-License-Identifier: MIT */
/* options.h - hvm-run's command-line options: the table, parsing and --help. */
#ifndef HVM_OPTIONS_H
#define HVM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cluster.h"
#include "optarg.h"

enum accel {
	ACCEL_AUTO,
	ACCEL_KVM,
	ACCEL_TCG,
};

#define OPTIONS_MAX_MAPS     64
#define OPTIONS_MAX_FORWARDS 16

enum net_mode {
	NET_NONE, /* loopback only */
	NET_USER, /* QEMU user networking on virtio-net */
};

struct options {
	unsigned int ros_cpus;
	unsigned int hrt_cpus;
	uint64_t ros_mem;
	uint64_t hrt_mem;
	const char *kernel;
	const char *hrt_image;
	const char *qemu;
	const char *hrt_log;
	const char *save_initrd; /* also write the composed initramfs here */
	const char *qemu_args[OPTIONS_MAX_MAPS]; /* extra QEMU arguments */
	unsigned int nr_qemu_args;
	const char *
		kernel_args[OPTIONS_MAX_MAPS]; /* extra ROS kernel parameters */
	unsigned int nr_kernel_args;
	struct path_map adds[OPTIONS_MAX_MAPS];
	unsigned int nr_adds;
	struct path_map shares[OPTIONS_MAX_MAPS];
	unsigned int nr_shares;
	bool host_root;
	bool stdin_cmd; /* -i: the command reads hvm-run's stdin */
	enum net_mode net;
	struct port_forward forwards[OPTIONS_MAX_FORWARDS];
	unsigned int nr_forwards;
	bool cluster_set; /* --cluster was given: this VM is a node */
	struct cluster_spec cluster;
	unsigned int cluster_wait; /* seconds a node waits for node 0 */
	bool no_hrt;
	bool pin;
	int numa_node; /* -1: none */
	enum accel accel;
	unsigned int timeout; /* seconds for the command, from its start */
	unsigned int timeout_total; /* seconds for the whole run; 0 = none */
	unsigned int boot_timeout;  /* seconds to reach user space */
	int gdb_port;		    /* 0 = none */
	int verbose;		    /* -1 quiet, 0 normal, 1+ verbose */
	char **cmd;		    /* NULL = interactive shell */
	int cmd_argc;
};

struct options_parser;

/*
 * One hvm-run option.  options_table[] is the only list of them: it builds
 * getopt_long's arrays and --help, and a unit test compares its names with
 * README.md's option table.  set() takes the option's argument (NULL when it
 * has none) and returns 0, 1 when hvm-run should exit 0 (--help, --version),
 * or -EINVAL with a one-line message in the parser's error buffer.
 */
struct option_desc {
	const char *name; /* long name, without "--" */
	char short_name;  /* 'i' for -i; 0 when there is none */
	const char *arg;  /* its argument in --help; NULL: takes none */
	const char *help; /* --help text; '\n' continues it on a new line */
	int (*set)(struct options_parser *p, const char *arg);
};

extern const struct option_desc options_table[];
extern const size_t options_table_len;

/* Prints the --help text, its option list made from options_table[]. */
void options_help(FILE *out);

/*
 * Fills (o) from argv.  On error returns -EINVAL and writes a one-line
 * message into (err) (errlen bytes).  Returns 1 when --help or --version
 * was handled (the caller exits 0).
 */
int options_parse(struct options *o, int argc, char **argv, char *err,
		  size_t errlen);

void options_free(struct options *o);

#endif
