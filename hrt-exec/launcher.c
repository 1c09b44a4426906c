// SPDX-License-Identifier: MIT
/* launcher.c - hrt-exec: run an unmodified Linux program on the HRT cores. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvm_uapi.h"
#include "runtime.h"

static const char *prog_name = "hrt-exec";
static bool verbose;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hrt-exec [OPTIONS] [--] PROGRAM [ARGS...]\n"
		"Runs PROGRAM with its main and every thread it creates on the "
		"HRT cores;\nits system calls and page faults are served by "
		"Linux.  Its arguments,\nenvironment, stdio, working "
		"directory and exit status are its own.\n\n"
		"  -c, --cores LIST       HRT cores to use, e.g. 0 or 0,2-3, "
		"or all\n"
		"                         (default: all; an MPI rank gets its "
		"share)\n"
		"  -s, --stack-size SIZE  main's stack (K/M/G suffix; "
		"default 8M)\n"
		"  -p, --profile FILE     record every forwarded call and "
		"fault of the\n"
		"                         program, its threads and children "
		"in FILE\n"
		"                         (read it with hvm-prof --load FILE "
		"--syscalls)\n"
		"  -v, --verbose          say what is started where\n"
		"  -h, --help             this text\n\n"
		"Exit status: PROGRAM's own, or 127 not found, 126 not a "
		"program or not\nexecutable, 125 wrong architecture or ABI, "
		"124 no HRT, 123 no permission\nto /dev/hvm, 2 usage.  "
		"See docs/hrt-exec.md.\n");
}

static __attribute__((noreturn, format(printf, 2, 3))) void
die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* PROGRAM as execvp would find it: (out) gets the path.  0 or -errno. */
static int find_program(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;
	int err = -ENOENT;

	if (strchr(name, '/')) {
		if ((size_t)snprintf(out, len, "%s", name) >= len)
			return -ENAMETOOLONG;
		return access(out, F_OK) ? -errno : 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		struct stat st;

		end = strchrnul(p, ':');
		if ((size_t)snprintf(out, len, "%.*s/%s",
				     end == p ? 1 : (int)(end - p),
				     end == p ? "." : p, name) >= len)
			continue;
		if (!stat(out, &st) && S_ISREG(st.st_mode)) {
			if (!access(out, X_OK))
				return 0;
			err = -EACCES;
		}
	}
	return err;
}

static const char *elf_machine(unsigned int m)
{
	switch (m) {
	case EM_386:
		return "i386";
	case EM_ARM:
		return "ARM";
	case EM_AARCH64:
		return "AArch64";
	case EM_RISCV:
		return "RISC-V";
	case EM_PPC64:
		return "PowerPC64";
	case EM_S390:
		return "s390";
	default:
		return "another machine";
	}
}

/*
 * Is the x86-64 ELF file (fd) (header (eh)) linked with libhrt-exec.a?
 * Looks for HRT_EXEC_STATIC_SECTION among its sections.
 */
static bool has_runtime(int fd, const Elf64_Ehdr *eh)
{
	Elf64_Shdr sh, strsh;
	char name[sizeof(HRT_EXEC_STATIC_SECTION)];
	unsigned int i;

	if (eh->e_shentsize != sizeof(sh) || eh->e_shstrndx >= eh->e_shnum ||
	    pread(fd, &strsh, sizeof(strsh),
		  (off_t)(eh->e_shoff + eh->e_shstrndx * sizeof(sh))) !=
		    (ssize_t)sizeof(strsh))
		return false;
	for (i = 0; i < eh->e_shnum; i++) {
		if (pread(fd, &sh, sizeof(sh),
			  (off_t)(eh->e_shoff + i * sizeof(sh))) !=
		    (ssize_t)sizeof(sh))
			return false;
		if (pread(fd, name, sizeof(name),
			  (off_t)(strsh.sh_offset + sh.sh_name)) ==
			    (ssize_t)sizeof(name) &&
		    !memcmp(name, HRT_EXEC_STATIC_SECTION, sizeof(name)))
			return true;
	}
	return false;
}

/*
 * Checks that (path) is something we can run on the HRT: a script (its
 * interpreter is checked when it starts), a dynamically linked x86-64
 * program, or a static one linked with libhrt-exec.a.  Dies otherwise.
 */
static void check_program(const char *path, const char *name)
{
	unsigned char buf[sizeof(Elf64_Ehdr)];
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	bool dynamic = false;
	struct stat st;
	ssize_t n;
	int fd, i;

	if (stat(path, &st))
		die(HRT_EXEC_EXIT_NOTFOUND, "%s: %s", name, strerror(errno));
	if (S_ISDIR(st.st_mode))
		die(HRT_EXEC_EXIT_NOEXEC, "%s: is a directory", name);
	if (access(path, X_OK))
		die(HRT_EXEC_EXIT_NOEXEC, "%s: not executable: %s", name,
		    strerror(errno));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(HRT_EXEC_EXIT_NOEXEC, "%s: %s", name, strerror(errno));
	n = read(fd, buf, sizeof(buf));
	if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
		close(fd);
		return;
	}
	if (n < 4 || memcmp(buf, ELFMAG, SELFMAG))
		die(HRT_EXEC_EXIT_NOEXEC,
		    "%s: not a program (neither ELF nor a #! script)", name);
	if (n < (ssize_t)sizeof(*eh) || buf[EI_CLASS] != ELFCLASS64 ||
	    buf[EI_DATA] != ELFDATA2LSB)
		die(HRT_EXEC_EXIT_ABI,
		    "%s: wrong ABI: a %s program; the HRT runs x86-64 "
		    "(64-bit) programs",
		    name,
		    buf[EI_CLASS] == ELFCLASS32 ? "32-bit" : "non-x86-64");
	if (eh->e_machine != EM_X86_64)
		die(HRT_EXEC_EXIT_ABI,
		    "%s: wrong architecture: a program for %s; the HRT runs "
		    "x86-64 programs",
		    name, elf_machine(eh->e_machine));
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		die(HRT_EXEC_EXIT_NOEXEC, "%s: not a program (ELF type %u)",
		    name, eh->e_type);
	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph),
			  (off_t)(eh->e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			die(HRT_EXEC_EXIT_NOEXEC, "%s: truncated ELF file",
			    name);
		if (ph.p_type == PT_INTERP)
			dynamic = true;
	}
	if (!dynamic && !has_runtime(fd, eh))
		die(HRT_EXEC_EXIT_ABI,
		    "%s: statically linked without hrt-exec's runtime (it "
		    "would run on the ROS): relink it with -Wl,--wrap=main "
		    "libhrt-exec.a",
		    name);
	close(fd);
	if (verbose)
		fprintf(stderr, "%s: %s: %s x86-64 program\n", prog_name, path,
			dynamic ? "dynamically linked"
				: "static, with runtime");
}

/* Checks /dev/hvm and an HRT to run on; returns its core count. */
static unsigned int check_hrt(void)
{
	struct hvm_info info;
	int fd = open(HVM_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0 && (errno == EACCES || errno == EPERM))
		die(HRT_EXEC_EXIT_PERM,
		    "no permission to %s (root only unless a group was "
		    "granted)",
		    HVM_DEV_PATH);
	if (fd < 0)
		die(HRT_EXEC_EXIT_NOHRT,
		    "no HRT: %s: %s (run inside hvm-run with hvm.ko loaded)",
		    HVM_DEV_PATH, strerror(errno));
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, HVM_IOC_INFO, &info))
		die(HRT_EXEC_EXIT_NOHRT, "no HRT: %s: %s", HVM_DEV_PATH,
		    strerror(errno));
	close(fd);
	if (info.state != HVM_HRT_READY || !info.hrt_cpus)
		die(HRT_EXEC_EXIT_NOHRT,
		    "no HRT: the HRT is not running (state %u)", info.state);
	return info.hrt_cpus;
}

/* Checks a --cores list against (ncores): "0", "0,2-3". */
static bool cores_valid(const char *s, unsigned int ncores)
{
	unsigned long a, b;
	char *end;

	if (!*s)
		return false;
	while (*s) {
		if (*s < '0' || *s > '9')
			return false;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return false;
			b = strtoul(end + 1, &end, 10);
		}
		if (a > b || b >= ncores || (*end && *end != ','))
			return false;
		s = *end ? end + 1 : end;
	}
	return true;
}

/*
 * An MPI rank's local rank and the number of ranks on this node, from the
 * variables the launchers set for each rank: Open MPI's mpirun, MPICH's
 * Hydra, Slurm's srun (which names no local size: 0).  false when none is
 * set or a value is not a number.
 */
static bool mpi_local_rank(unsigned long *rank, unsigned long *size)
{
	static const char *const vars[][2] = {
		{ "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE" },
		{ "MPI_LOCALRANKID", "MPI_LOCALNRANKS" },
		{ "SLURM_LOCALID", NULL },
	};
	const char *r, *n;
	char *end;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		r = getenv(vars[i][0]);
		if (!r || !*r)
			continue;
		*rank = strtoul(r, &end, 10);
		if (*end)
			return false;
		n = vars[i][1] ? getenv(vars[i][1]) : NULL;
		*size = n && *n ? strtoul(n, &end, 10) : 0;
		return !(n && *n && *end);
	}
	return false;
}

/*
 * The HRT cores of local MPI rank (rank) of (size) on (ncores) cores, as a
 * --cores list in (buf): a block of ncores/size cores each when the ranks
 * fit (rank 1 of 2 on 4 cores: "2-3"), else rank modulo ncores, so that no
 * two ranks share a core while there are cores enough.
 */
static void rank_cores(unsigned long rank, unsigned long size,
		       unsigned int ncores, char *buf, size_t len)
{
	unsigned long k = size && size <= ncores ? ncores / size : 1;
	unsigned long first = (rank * k) % ncores;

	if (k == 1 || first + k > ncores)
		snprintf(buf, len, "%lu", first);
	else
		snprintf(buf, len, "%lu-%lu", first, first + k - 1);
}

static bool size_valid(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s)
		return false;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	return !*end && v >= (64u << 10) && v <= (1ull << 30);
}

/* The runtime next to this launcher: DIR/../lib/hvm/libhrt-exec.so. */
static void runtime_path(char *out, size_t len)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		die(HRT_EXEC_EXIT_NOHRT, "/proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	if ((size_t)snprintf(out, len, "%s/%s", self, HRT_EXEC_RUNTIME_REL) >=
	    len)
		die(HRT_EXEC_EXIT_NOHRT, "path too long: %s", self);
	if (access(out, R_OK))
		die(HRT_EXEC_EXIT_NOHRT, "runtime missing: %s: %s", out,
		    strerror(errno));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cores", required_argument, NULL, 'c' },
		{ "stack-size", required_argument, NULL, 's' },
		{ "profile", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cores = NULL, *stack = NULL, *profile = NULL, *old;
	char profile_abs[PATH_MAX];
	char path[PATH_MAX], rt[PATH_MAX], *preload, rank_list[48];
	unsigned long rank, nranks;
	unsigned int ncores;
	int c, r;

	/* "+": PROGRAM's own options are its own. */
	while ((c = getopt_long(argc, argv, "+c:s:p:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cores = optarg;
			break;
		case 's':
			stack = optarg;
			break;
		case 'p':
			profile = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return HRT_EXEC_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no PROGRAM given\n", prog_name);
		usage(stderr);
		return HRT_EXEC_EXIT_USAGE;
	}
	if (stack && !size_valid(stack))
		die(HRT_EXEC_EXIT_USAGE,
		    "bad --stack-size '%s': 64K to 1G, e.g. 8M", stack);
	r = find_program(argv[optind], path, sizeof(path));
	if (r)
		die(r == -EACCES ? HRT_EXEC_EXIT_NOEXEC
				 : HRT_EXEC_EXIT_NOTFOUND,
		    "%s: %s", argv[optind],
		    r == -ENOENT ? "not found" : strerror(-r));
	check_program(path, argv[optind]);
	ncores = check_hrt();
	if (cores && !strcmp(cores, "all")) {
		cores = NULL; /* every core, whatever rank this is */
		unsetenv("HVM_CORES");
	} else if (!cores && !getenv("HVM_CORES") &&
		   mpi_local_rank(&rank, &nranks)) {
		rank_cores(rank, nranks, ncores, rank_list, sizeof(rank_list));
		cores = rank_list;
		if (verbose)
			fprintf(stderr,
				"%s: MPI local rank %lu of %lu: HRT cores %s\n",
				prog_name, rank, nranks, cores);
	}
	if (cores && !cores_valid(cores, ncores))
		die(HRT_EXEC_EXIT_USAGE,
		    "bad --cores '%s': a list like 0,2-3 of HRT cores 0..%u",
		    cores, ncores - 1);
	runtime_path(rt, sizeof(rt));
	/*
	 * A new ring each run, as strace -o writes a new file; by absolute
	 * path, since the program and its children may change directory.
	 */
	if (profile) {
		struct stat st;
		int fd;

		if (!stat(profile, &st) && !S_ISREG(st.st_mode))
			die(HRT_EXEC_EXIT_USAGE,
			    "--profile %s: not a regular file", profile);
		fd = open(profile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
		if (fd < 0 || !realpath(profile, profile_abs))
			die(HRT_EXEC_EXIT_USAGE, "--profile %s: %s", profile,
			    strerror(errno));
		close(fd);
		if (setenv("HVM_PROF", profile_abs, 1))
			die(HRT_EXEC_EXIT_NOHRT, "setenv: %s", strerror(errno));
	}

	/* Ours first: it must see main before anything else preloaded. */
	old = getenv("LD_PRELOAD");
	if (asprintf(&preload, "%s%s%s", rt, old && *old ? ":" : "",
		     old ? old : "") < 0)
		die(HRT_EXEC_EXIT_NOHRT, "out of memory");
	if (setenv("LD_PRELOAD", preload, 1) || setenv("HRT_EXEC", "1", 1) ||
	    (cores && setenv("HVM_CORES", cores, 1)) ||
	    (stack && setenv("HVM_STACK_SIZE", stack, 1)) ||
	    (verbose && setenv("HRT_EXEC_VERBOSE", "1", 1)))
		die(HRT_EXEC_EXIT_NOHRT, "setenv: %s", strerror(errno));
	if (verbose)
		fprintf(stderr, "%s: exec %s with LD_PRELOAD=%s\n", prog_name,
			path, preload);
	execv(path, argv + optind);
	die(errno == ENOENT    ? HRT_EXEC_EXIT_NOTFOUND
	    : errno == ENOEXEC ? HRT_EXEC_EXIT_NOEXEC
			       : HRT_EXEC_EXIT_NOEXEC,
	    "%s: %s", path, strerror(errno));
}
