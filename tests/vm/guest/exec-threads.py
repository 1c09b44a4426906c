#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""exec-threads.py - a threaded python3 workload for tests/vm/exec.sh.

Six threading.Threads meet at a Barrier, then each hashes its own stream
with hashlib (SHA-256 chained over blocks) and records the result under a
Lock.  stdout: the per-thread digests and a combined one, the same wherever
it runs.  stderr: the CPL each thread ran at, read from %cs by a 5-byte
machine-code function called through ctypes (3 natively, 0 on the HRT).
"""
import ctypes
import hashlib
import mmap
import sys
import threading

NTHREADS = 6
ROUNDS = 300


def make_cpl():
    """Returns a function giving the CPL: xor %eax,%eax; mov %cs,%eax; ret."""
    try:
        code = b"\x31\xc0\x8c\xc8\xc3"
        buf = mmap.mmap(-1, mmap.PAGESIZE,
                        prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        buf.write(code)
        addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
        fn = ctypes.CFUNCTYPE(ctypes.c_int)(addr)
        make_cpl.keep = buf
        return lambda: fn() & 3
    except (OSError, ValueError, TypeError):
        return lambda: -1


def main():
    cpl = make_cpl()
    barrier = threading.Barrier(NTHREADS)
    lock = threading.Lock()
    digests = {}
    cpls = {}

    def work(tid):
        barrier.wait()
        h = hashlib.sha256(b"thread %d" % tid)
        block = bytes(range(256)) * 16
        for i in range(ROUNDS):
            h.update(block)
            h.update(h.digest() + i.to_bytes(4, "little"))
        level = cpl()
        with lock:
            digests[tid] = h.hexdigest()
            cpls[tid] = level

    threads = [threading.Thread(target=work, args=(t,))
               for t in range(NTHREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = hashlib.sha256()
    for tid in sorted(digests):
        print("thread %d %s" % (tid, digests[tid]))
        total.update(digests[tid].encode())
    print("threads %d combined %s" % (len(digests), total.hexdigest()))
    print("cpls " + " ".join(str(cpls[t]) for t in sorted(cpls)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
