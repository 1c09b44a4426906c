#!/bin/sh
# SPDX-License-Identifier: MIT
# driver-guest.sh - runs inside the ROS: checks hvm.ko end to end (boot, interrupts, reboots, bad input, reload).
# usage: driver-guest.sh HRT_CORES full|boot
H=${1:-1}
MODE=${2:-full}
OUT=/tmp/driver-check.out
. "${0%/*}/verdict.sh"

hb() { hvmctl status | sed -n 's/^heartbeat: //p'; }
beats() { a=$(hb); sleep 1; b=$(hb); [ -n "$a" ] && [ "$b" -gt "$a" ]; }
field() { hvmctl status | sed -n "s/^$1: //p"; }
# the HRT log from the last "selftest: plan" line on (the newest run)
lastrun() { hvmctl log | awk '/^selftest: plan /{b=""} {b=b $0 "\n"} END{printf "%s", b}'; }
# selftests: boot returns at ready, the tests run after; wait up to 150 s
# for the summary, then it must be the run's last line, count every planned
# test as passed and have run on all $H cores.
selftests() {
	t=0
	until lastrun | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; do
		t=$((t + 1))
		if [ $t -ge 150 ]; then
			echo "no self-test summary after 150 s"
			lastrun | tail -5
			return 1
		fi
		sleep 1
	done
	lastrun | grep -Ev '^ok - '
	plan=$(lastrun | sed -n 's/^selftest: plan \([0-9]*\) (cpus \([0-9]*\))$/\1 \2/p')
	[ "${plan#* }" = "$H" ] && [ "${plan% *}" -gt 0 ] &&
		lastrun | tail -n 1 | grep -qx "${plan% *} passed, 0 failed"
}

check "HRT ready when insmod returned" hvmctl status
check "status lists $H HRT cores" sh -c "hvmctl status | grep -qx 'hrt_cpus: $H'"
check "heartbeat advances" beats
cpu=$(hvmctl status | sed -n 's/^hrt_linux_cpus: \([0-9]*\).*/\1/p')
check "Linux cannot online HRT CPU $cpu" sh -c "! echo 1 > /sys/devices/system/cpu/cpu$cpu/online"
check "sysfs state is ready" sh -c 'grep -qx ready /sys/class/misc/hvm/hrt/state'
check "HRT log readable" sh -c 'hvmctl log | grep -q .'
check "all $H HRT cores came up in HVM mode" sh -c "hvmctl log | grep -q 'HVM boot, $H cpu(s)' && hvmctl log | grep -q '^hrt: $H of $H cpu(s) online'"
check "selftest boot (HVM_BOOT_SELFTEST) ready" hvmctl reboot --selftest
check "self-tests on $H cores all passed, summary ends the log" selftests
check "ping ROS->HRT->ROS by doorbell/MSI-X" hvmctl ping -n 20
check "ping ROS->HRT->ROS by direct IPI" hvmctl ping -i -n 20
if [ "$H" -gt 1 ]; then
	check "ping HRT core $((H - 1))" hvmctl ping -c $((H - 1))
fi
sub driver-test poll
echo 1000 > /sys/module/hvm/parameters/hung_timeout_ms
if [ "$MODE" = full ]; then
	sub driver-test badargs
	sub driver-test badimages /root/mini-hrt.elf
	sub driver-test unpriv
	sub driver-test unpriv-keep
	check "20 reboots in a row, from ready, hung and crashed" driver-test reboots 20 1
	check "hvmctl status says hung" sh -c 'hvmctl debug hang && sleep 3; hvmctl status | grep -q "state: hung"; [ $? = 0 ] && hvmctl status >/dev/null; [ $? = 4 ]'
	check "reboot from hung" hvmctl reboot
	bc=$(field boot_count)
	check "rmmod while the HRT runs" rmmod hvm
	check "insmod again (group=4242)" insmod /lib/hvm/hvm.ko group=4242
	check "reloaded module adopts the running HRT" sh -c "dmesg | grep -q 'adopting the running HRT' && [ \"\$(hvmctl status | sed -n 's/^boot_count: //p')\" = $bc ]"
	check "heartbeat still advances after reload" beats
	check "ping after reload (doorbell)" hvmctl ping -n 5
	check "ping after reload (direct IPI)" hvmctl ping -i -n 5
	sub driver-test unpriv-group 4242
	check "second image loaded" hvmctl load /root/mini-hrt.elf
	check "second image booted" hvmctl reboot
	check "second image runs (its log line)" sh -c 'hvmctl log | grep -q "mini-hrt: up"'
	if [ -f /root/hrt.elf ]; then
		check "original image reloaded and booted" sh -c 'hvmctl load /root/hrt.elf && hvmctl reboot'
	fi
	check "stop leaves the HRT loaded" sh -c 'hvmctl stop && hvmctl status | grep -qx "state: loaded"'
	check "boot after stop" hvmctl boot
	check "hvmctl: usage error is exit 2" sh -c 'hvmctl frobnicate; [ $? = 2 ]'
	check "hvmctl: missing image is exit 1" sh -c 'hvmctl load /nonexistent; [ $? = 1 ]'
else
	check "3 reboots, from hung and crashed" driver-test reboots 3 1
fi
check "no BUG/Oops/WARNING in dmesg" sh -c '! dmesg | grep -Eq "BUG|Oops|WARNING|general protection|Call Trace"'
hvmctl stats | sed 's/^/# /'
summary
[ "$FAIL" -eq 0 ]
