/* SPDX-License-Identifier: MIT */
/* guest_test.h - in-guest test programs: registration, verdicts, runner. */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

/*
 * A test program registers its tests where they are written:
 *
 *	GUEST_TEST(openmp) { ...; check(cond, "what", "why %d", x); return 0; }
 *	GUEST_TEST_CMD(unpriv_group, "unpriv-group GID") { use(args[0]); ... }
 *
 * and main() hands the command line to guest_test_main().  Each record
 * lands in the "guest_tests" section (like UNIT_TEST and HRT_TEST), so no
 * list of tests exists to forget one in.  Tests run in source order.
 *
 * The verdict lines are what the host scripts count (tests/vm/lib.sh's
 * guest_verdicts, the guest scripts' sub()): "ok - NAME" and
 * "not ok - NAME # DETAIL", one line each, flushed at once.
 */

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct guest_test {
	const char *usage; /* "NAME" or "NAME ARG...": how argv names it */
	/* args: its ARGs; returns 0, or non-zero to fail the exit status
	 * where no check() reported the failure */
	int (*fn)(char **args);
	unsigned int flags;
	int line; /* its source line: the order tests run in */
};

#define GUEST_TEST_ONLY_NAMED 1u /* runs only when named on the command line */

#define GUEST_TEST_DEFINE(id, tusage, tflags)                                  \
	static int guest_test_##id(char **args);                               \
	static const struct guest_test guest_test_rec_##id                     \
		__attribute__((used, section("guest_tests"), aligned(8))) = {  \
			tusage, guest_test_##id, tflags, __LINE__              \
		};                                                             \
	static int guest_test_##id(char **args __attribute__((unused)))

/* GUEST_TEST(name) { ... return 0; }: a test without arguments. */
#define GUEST_TEST(id)	     GUEST_TEST_DEFINE(id, #id, 0)
/* Same, but it runs only when the command line names it. */
#define GUEST_TEST_NAMED(id) GUEST_TEST_DEFINE(id, #id, GUEST_TEST_ONLY_NAMED)
/* A test with arguments, or whose name is no C identifier (GUEST_STEP). */
#define GUEST_TEST_CMD(id, tusage)                                             \
	GUEST_TEST_DEFINE(id, tusage, GUEST_TEST_ONLY_NAMED)

enum guest_test_mode {
	/*
	 * PROG [TEST...]: the named tests, else every one not ONLY_NAMED;
	 * an unknown name is a failed verdict.  Verdicts read
	 * "ok - TEST: what"; the program ends with "N passed, N failed".
	 */
	GUEST_SUITE,
	/*
	 * PROG TEST ARG...: exactly one test, else usage and exit 2.
	 * Verdicts read "ok - what" and there is no summary line: a guest
	 * shell script runs several and prints the one summary (one from
	 * each program would hide a script that died half way).
	 */
	GUEST_STEP,
};

struct guest_test_config {
	enum guest_test_mode mode;
	unsigned int alarm_s; /* each test's limit ("# timed out"); 0: none */
	/* before the first test, as test "setup"; non-zero: run none */
	int (*setup)(void);
};

static struct {
	int npass, nfail;
	enum guest_test_mode mode;
	char name[64]; /* the running test ("setup" first), for prefixes */
} guest_test_state;

static inline void guest_vverdict(int ok, const char *prefix, const char *name,
				  const char *fmt, va_list ap)
{
	if (ok)
		guest_test_state.npass++;
	else
		guest_test_state.nfail++;
	printf("%s - %s%s%s", ok ? "ok" : "not ok", prefix ? prefix : "",
	       prefix ? ": " : "", name);
	if (!ok && fmt) {
		printf(" # ");
		vprintf(fmt, ap);
	}
	printf("\n");
	fflush(stdout);
}

/* One verdict as named, whatever the mode; fmt (NULL: none) says why not. */
static inline void guest_verdict(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void guest_verdict(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	guest_vverdict(ok, NULL, name, fmt, ap);
	va_end(ap);
}

/* The verdict of one check of the running test; fmt (NULL: none) says why. */
static inline void check(int cond, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void check(int cond, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	guest_vverdict(cond,
		       guest_test_state.mode == GUEST_SUITE
			       ? guest_test_state.name
			       : NULL,
		       name, fmt, ap);
	va_end(ap);
}

/* A comment line for the log: "# TEST: text" (GUEST_STEP: "# text"). */
static inline void diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static inline void diag(const char *fmt, ...)
{
	va_list ap;

	if (guest_test_state.mode == GUEST_SUITE)
		printf("# %s: ", guest_test_state.name);
	else
		printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* ------------------------------------------------------------ runner */

extern const struct guest_test __start_guest_tests[];
extern const struct guest_test __stop_guest_tests[];

static inline void guest_test_put(const char *s)
{
	ssize_t n = write(1, s, strlen(s));

	(void)n;
}

/* The per-test alarm: a hang is a failure, not a stuck VM. */
static inline void guest_test_timeout(int sig)
{
	(void)sig;
	guest_test_put("not ok - ");
	guest_test_put(guest_test_state.name);
	guest_test_put(" # timed out\n");
	_exit(1);
}

/* Does (t)'s name, the first word of its usage, equal (s)? */
static inline int guest_test_is(const struct guest_test *t, const char *s)
{
	size_t n = strcspn(t->usage, " ");

	return strlen(s) == n && !strncmp(t->usage, s, n);
}

static inline int guest_test_nargs(const struct guest_test *t)
{
	const char *p = t->usage;
	int n = 0;

	while ((p = strchr(p, ' ')))
		n++, p++;
	return n;
}

static inline int guest_test_by_line(const void *a, const void *b)
{
	const struct guest_test *x = *(const struct guest_test *const *)a;
	const struct guest_test *y = *(const struct guest_test *const *)b;

	return (x->line > y->line) - (x->line < y->line);
}

static inline void guest_test_usage(const struct guest_test **t, size_t n)
{
	size_t i;

	fprintf(stderr, "usage: %s TEST [ARG...], TEST one of:\n",
		program_invocation_short_name);
	for (i = 0; i < n; i++)
		fprintf(stderr, "  %s\n", t[i]->usage);
}

/* Selects and runs the tests (guest_test_config); returns main's status. */
static inline int guest_test_main(int argc, char **argv,
				  const struct guest_test_config *cfg)
{
	size_t n = (size_t)(__stop_guest_tests - __start_guest_tests), i;
	const struct guest_test **t = calloc(n ? n : 1, sizeof(*t));
	struct sigaction sa;
	int rc = 0, k, ran;

	if (!t)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	guest_test_state.mode = cfg->mode;
	for (i = 0; i < n; i++)
		t[i] = &__start_guest_tests[i];
	qsort(t, n, sizeof(*t), guest_test_by_line);

	if (cfg->mode == GUEST_STEP) {
		for (i = 0; i < n; i++)
			if (argc >= 2 && guest_test_is(t[i], argv[1]))
				break;
		if (i == n || argc - 2 != guest_test_nargs(t[i])) {
			guest_test_usage(t, n);
			free(t);
			return 2;
		}
	} else {
		for (k = 1; k < argc; k++) {
			for (i = 0; i < n && !guest_test_is(t[i], argv[k]); i++)
				;
			if (i == n)
				guest_verdict(0, argv[k], "no such test");
		}
	}

	snprintf(guest_test_state.name, sizeof(guest_test_state.name), "setup");
	if (cfg->setup && cfg->setup()) {
		rc = 1;
		n = 0; /* nothing runs */
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = guest_test_timeout;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < n; i++) {
		if (cfg->mode == GUEST_STEP) {
			ran = guest_test_is(t[i], argv[1]);
		} else {
			ran = argc < 2 &&
			      !(t[i]->flags & GUEST_TEST_ONLY_NAMED);
			for (k = 1; k < argc; k++)
				ran |= guest_test_is(t[i], argv[k]);
		}
		if (!ran)
			continue;
		snprintf(guest_test_state.name, sizeof(guest_test_state.name),
			 "%.*s", (int)strcspn(t[i]->usage, " "), t[i]->usage);
		if (cfg->alarm_s) {
			sigaction(SIGALRM, &sa, NULL);
			alarm(cfg->alarm_s);
		}
		rc |= t[i]->fn(cfg->mode == GUEST_STEP ? argv + 2 : NULL);
		if (cfg->alarm_s)
			alarm(0);
	}
	free(t);
	if (cfg->mode == GUEST_SUITE)
		printf("%d passed, %d failed\n", guest_test_state.npass,
		       guest_test_state.nfail);
	fflush(stdout);
	return rc || guest_test_state.nfail ? 1 : 0;
}

#endif /* GUEST_TEST_H */
