#!/bin/bash
# demo.sh - what `make run` shows: the split from inside, then code offloaded to the HRT.
set -euo pipefail
O=${O:-build}
echo "== hvm-run --cores 1:1 --mem 512M:64M -- sh -c 'hvm-partition; hvm-demo'"
exec "$O/hvm/hvm-run" --cores 1:1 --mem 512M:64M -- sh -c 'hvm-partition && echo && hvm-demo'
