#!/bin/bash
# SPDX-License-Identifier: MIT
# reliability.sh - whole-VM tests of hvm.ko and the HRT staying usable: reboots mid-invocation, crashes, stopped processes, interrupted boots, exceptions.
#
# Two boots: --cores 1:1 (a stopped process and its bystander share the one
# HRT core), then --cores 1:2 for a hung non-boot core and stale requests.  The guest (tests/vm/guest/reliability-guest.sh with
# hvm-reliability-test) prints the verdicts.  HVM_RELIABILITY_REBOOTS sets
# how many reboots are watched for a false hung (default 10; 100 for a
# stress run).
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh

N=${HVM_RELIABILITY_REBOOTS:-10}
out=$T_TMP/out
err=$T_TMP/err
vm "$out" "$err" --cores 1:1 --timeout $((240 + N * 2)) \
	--add tests/vm/guest/reliability-guest.sh:/root/reliability-guest.sh \
	--add tests/vm/guest/verdict.sh:/root/verdict.sh \
	-- sh /root/reliability-guest.sh "$N"
guest_verdicts "" "$out" "$err"
# Two HRT cores: a hung non-boot core (D1), stale requests (D2, D3).
vm "$out" "$err" --cores 1:2 --timeout 240 \
	--add tests/vm/guest/reliability-guest.sh:/root/reliability-guest.sh \
	--add tests/vm/guest/verdict.sh:/root/verdict.sh \
	-- sh /root/reliability-guest.sh multicore
guest_verdicts "2 cores" "$out" "$err"
summary
