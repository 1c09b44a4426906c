#!/bin/sh
# SPDX-License-Identifier: MIT
# reliability-guest.sh - runs inside the ROS: hvm.ko and the HRT under reboots mid-invocation, crashes, stopped processes, interrupted boots and exceptions.
# usage: reliability-guest.sh [REBOOTS]   (reboot cycles watched for a false hung; default 10)
#        reliability-guest.sh multicore (two HRT cores: hung non-boot core, stale requests)
N=${1:-10}
OUT=/tmp/reliability-check.out
VERDICT_MARK=reliability
. "${0%/*}/verdict.sh"

ready() { hvmctl status | grep -qx 'state: ready'; }
BUGS='BUG|Oops|WARNING|general protection|Call Trace'

# reliability-guest.sh multicore: the checks that need two HRT cores (a
# hung non-boot core) and stale requests after reboots.
if [ "$N" = multicore ]; then
	check "HRT ready at the start" hvmctl status
	sub hvm-reliability-test hung-core
	sub hvm-reliability-test stale-request 5
	sub hvm-reliability-test first-load 30
	check "stale requests were dropped by the HRT (its log)" sh -c 'hvmctl log | grep -q "dropped a request of boot"'
	check "no BUG/Oops/WARNING in dmesg" sh -c "! dmesg | grep -E '$BUGS'"
	check "HRT ready at the end" ready
	summary
	[ "$FAIL" -eq 0 ]
	exit
fi

check "HRT ready at the start" hvmctl status
sub hvm-reliability-test exceptions
sub hvm-reliability-test reboot-invoke 30
sub hvm-reliability-test sigstop
sub hvm-reliability-test reboots "$N"
sub hvm-reliability-test crashes 20
sub hvm-reliability-test bootsig 8
check "boots were interrupted and went on by themselves (dmesg)" \
	sh -c 'dmesg | grep -q "boot goes on without its caller"'
check "hvmctl reboot under timeout -s INT: the HRT ends up ready" \
	sh -c 'timeout -s INT 0.03 hvmctl reboot; i=0; while ! hvmctl status >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; hvmctl status | grep -qx "state: ready" && hvmctl reboot && hvmctl status'
# Flushes that waited out their 100 ms for a legitimately loaded core are
# possible on a busy TCG host: listed, not counted (the munmap/fork checks
# above count those that would mean reset cores still listed).
dmesg | grep -E "did not (flush|leave)" | sed 's/^/# note: /'
check "no channel retired (dmesg)" sh -c 'dmesg | grep -E "reliability: |retired"; ! dmesg | grep -q retired'
check "no hung HRT declared (dmesg)" sh -c '! dmesg | grep "hrt hung"'
check "no BUG/Oops/WARNING in dmesg" sh -c "! dmesg | grep -E '$BUGS'"
check "HRT ready at the end" ready
hvmctl stats | sed 's/^/# /'
summary
[ "$FAIL" -eq 0 ]
