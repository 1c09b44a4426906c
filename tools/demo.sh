#!/bin/bash
# SPDX-License-Identifier: MIT
# demo.sh - what `make run` shows: the split, offloaded functions, then python3 on the HRT.
set -euo pipefail
O=${O:-build}
echo "== hvm-run --cores 1:1 --mem 512M:64M -- sh -c 'hvm-partition; hvm-demo'"
"$O/hvm/hvm-run" --cores 1:1 --mem 512M:64M -- sh -c 'hvm-partition && echo && hvm-demo'

# A well-known program, unmodified, with main and its threads on the HRT:
# the host's own python3 (--host-root), started by hrt-exec.
PY='import threading, hashlib
out = [None] * 4
def work(i):
    h = hashlib.sha256()
    for k in range(2000):
        h.update(b"%d:%d" % (i, k))
    out[i] = h.hexdigest()[:12]
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("python3 on the HRT: 4 threads, digests", " ".join(out))'
echo
echo "== hvm-run --cores 1:2 --mem 1G:128M --host-root -- hrt-exec -v python3 -c '<4 threads hashing>'"
exec "$O/hvm/hvm-run" --cores 1:2 --mem 1G:128M --host-root -- sh -c '
hrt-exec -v python3 -c "$0" || exit
echo "what the HRT counted (hvmctl stats):"
hvmctl stats | grep -E "hrt\.(invocations|threads_created|futex_local_wakes)"' "$PY"
