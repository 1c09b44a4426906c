#!/bin/bash
# demo.sh - what `make run` shows: boots the default split and reports it from inside.
set -euo pipefail
O=${O:-build}
echo "== hvm-run --cores 1:1 --mem 512M:64M -- hvm-partition"
exec "$O/hvm/hvm-run" --cores 1:1 --mem 512M:64M -- hvm-partition
