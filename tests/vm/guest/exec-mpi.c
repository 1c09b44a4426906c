// SPDX-License-Identifier: MIT
/* exec-mpi.c - an unmodified MPI program for tests/vm/exec.sh and benchmarks/mpi.sh. */
/*
 *   exec-mpi [ITERS]
 *
 * Built twice, against Debian's Open MPI and MPICH.  Each rank reports
 * where it runs ("rank R of N cpl C apic A host H": CPL from %cs, APIC ID
 * from CPUID leaf 1); then ranks 0 and 1 ping-pong 8 B and 1 MiB messages
 * whose contents are checked, every rank joins an allreduce whose exact
 * result rank 0 prints, and all time MPI_Barrier.  Lines "result ..." are
 * the same natively and under hrt-exec; lines "time ..." are medians in
 * microseconds from MPI_Wtime.  No libhvm: it knows nothing of the HRT.
 */
#include <cpuid.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG (1 << 20)

static int cpl(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static unsigned int apic_id(void)
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	(void)a, (void)c, (void)d;
	return b >> 24;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_us(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	return t[n / 2] * 1e6;
}

/* The byte at (i) of message (round): what both ends expect. */
static unsigned char pattern(int round, size_t i)
{
	return (unsigned char)(round * 131 + i * 7 + (i >> 11));
}

/*
 * (iters) round trips of (len) bytes between ranks 0 and 1.  Each end fills
 * what it sends and checks what it got outside the timed part, so the
 * times are the transfers'; (bad) counts wrong bytes.  Rank 0's round-trip
 * times go to (t).
 */
static void pingpong(int rank, size_t len, int iters, unsigned char *out,
		     unsigned char *in, double *t, long *bad)
{
	unsigned char want;
	double t0;
	size_t i;
	int r;

	for (r = 0; r < iters && rank < 2; r++) {
		for (i = 0; i < len; i++)
			out[i] = rank ? (unsigned char)~pattern(r, i)
				      : pattern(r, i);
		t0 = MPI_Wtime();
		if (rank == 0) {
			MPI_Send(out, (int)len, MPI_BYTE, 1, r, MPI_COMM_WORLD);
			MPI_Recv(in, (int)len, MPI_BYTE, 1, r, MPI_COMM_WORLD,
				 MPI_STATUS_IGNORE);
			t[r] = MPI_Wtime() - t0;
		} else {
			MPI_Recv(in, (int)len, MPI_BYTE, 0, r, MPI_COMM_WORLD,
				 MPI_STATUS_IGNORE);
			MPI_Send(out, (int)len, MPI_BYTE, 0, r, MPI_COMM_WORLD);
		}
		for (i = 0; i < len; i++) {
			want = rank ? pattern(r, i)
				    : (unsigned char)~pattern(r, i);
			*bad += in[i] != want;
		}
	}
}

int main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 50, rank, size, i, big_iters;
	long bad = 0, bad_all = 0;
	double *t, w0, w1, dsum, dval;
	int64_t isum, ival;
	unsigned char *out, *in;
	char host[64];

	if (iters < 3 || iters > 1000000) {
		fprintf(stderr, "exec-mpi: ITERS must be 3..1000000\n");
		return 2;
	}
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	printf("rank %d of %d cpl %d apic %u host %s\n", rank, size, cpl(),
	       apic_id(), host);
	fflush(stdout);
	out = malloc(BIG);
	in = malloc(BIG);
	t = calloc((size_t)iters, sizeof(*t));
	if (!out || !in || !t)
		MPI_Abort(MPI_COMM_WORLD, 3);
	big_iters = iters / 5 < 3 ? 3 : iters / 5;

	w0 = MPI_Wtime();
	MPI_Barrier(MPI_COMM_WORLD);
	pingpong(rank, 8, iters, out, in, t, &bad);
	if (rank == 0 && size > 1)
		printf("time pingpong-8B %.1f\n", median_us(t, iters));
	pingpong(rank, BIG, big_iters, out, in, t, &bad);
	if (rank == 0 && size > 1)
		printf("time pingpong-1MiB %.1f\n", median_us(t, big_iters));
	MPI_Reduce(&bad, &bad_all, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);

	/* Exact in both types: small integers, whatever the reduction order. */
	ival = (int64_t)(rank + 1) * 1000003;
	dval = (double)(rank + 1) * 0.5;
	for (i = 0; i < iters; i++) {
		double t0 = MPI_Wtime();

		MPI_Allreduce(&ival, &isum, 1, MPI_INT64_T, MPI_SUM,
			      MPI_COMM_WORLD);
		MPI_Allreduce(&dval, &dsum, 1, MPI_DOUBLE, MPI_SUM,
			      MPI_COMM_WORLD);
		t[i] = MPI_Wtime() - t0;
	}
	if (rank == 0)
		printf("time allreduce %.1f\n", median_us(t, iters));
	for (i = 0; i < iters; i++) {
		double t0 = MPI_Wtime();

		MPI_Barrier(MPI_COMM_WORLD);
		t[i] = MPI_Wtime() - t0;
	}
	w1 = MPI_Wtime();
	if (rank == 0) {
		printf("time barrier %.1f\n", median_us(t, iters));
		printf("result ranks %d\n", size);
		printf("result pingpong %s\n", size < 2 ? "skipped (1 rank)"
					       : bad_all == 0 ? "ok"
							      : "WRONG");
		if (bad_all)
			printf("# %ld wrong bytes\n", bad_all);
		printf("result allreduce %lld %.1f\n", (long long)isum, dsum);
		printf("result wtime %s\n", w1 > w0 ? "advances" : "STUCK");
	}
	free(t);
	free(in);
	free(out);
	MPI_Finalize();
	return bad_all ? 1 : 0;
}
