#!/bin/bash
# SPDX-License-Identifier: MIT
# hvm-run.sh - boots real split VMs under QEMU and checks hvm-run end to end.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh

# A private TMPDIR: whatever hvm-run leaves behind shows up here.
export TMPDIR=$T_TMP/tmp
mkdir -p "$TMPDIR"
tmpfiles() { ls -A "$TMPDIR" | wc -l; }
before=0
O_=$T_TMP/out
E_=$T_TMP/err

# --- exit status propagation: 0, 1, 7, killed by a signal
for code in 0 1 7; do
	vm "$O_" "$E_" -q -- sh -c "exit $code"
	expect_eq "exit status $code propagates" "$code" "$RC"
done
vm "$O_" "$E_" -q -- sh -c 'kill -TERM $$'
expect_eq "command killed by SIGTERM gives 128+15" 143 "$RC"

# --- the partition from inside: nproc = R while QEMU has R+H vCPUs
vm "$O_" "$E_" --cores 1:2 -- sh -c 'nproc; cat /sys/devices/system/cpu/present; hvm-partition'
expect_eq "1:2 split boots" 0 "$RC"
expect_eq "nproc in the ROS is R" 1 "$(sed -n 1p "$O_")"
expect_eq "ROS sees R+H present vCPUs" 0-2 "$(sed -n 2p "$O_")"
expect_match "ivshmem device with our magic visible in the ROS" \
	'HRT device: .* magic ok, ABI [0-9]+' "$O_"
expect_match "header lists the HRT APIC IDs" 'APIC IDs 1 2;' "$O_"
# Quiet unless KVM was turned down; then one line, never more.
n=$(grep -Ec 'using (TCG|KVM)' "$E_")
if [ "$n" -le 1 ]; then
	ok "--accel auto: at most one line on the accelerator ($n)"
else
	not_ok "--accel auto: at most one line on the accelerator" "$n lines"
fi
if [ -w /dev/kvm ] && grep -q 'emulates guest kernel mode' "$E_"; then
	ok "--accel auto detects the slow nested KVM and picks TCG"
elif [ ! -w /dev/kvm ]; then
	ok "--accel auto without /dev/kvm picks TCG # skip: no /dev/kvm"
else
	ok "--accel auto kept KVM (fast here) # skip: not a slow KVM host"
fi

# --- hvm-run loads hvm.ko itself: the HRT is up before the command runs
if [ -f "$O/guest/lib/hvm/hvm.ko" ] && [ -f "$O/hrt-kernel/hrt.elf" ]; then
	vm "$O_" "$E_" -v --hrt-log "$T_TMP/hrt.log" -- hvm-partition
	expect_match "HRT is ready before the command runs" 'state ready, boots 1' "$O_"
	expect_match "-v streams the HRT log with a prefix" '^\[hrt\] ' "$E_"
	expect_eq "-v says which accelerator in one line" 1 \
		"$(grep -Ec 'using (TCG|KVM)' "$E_")"
	expect_match "--hrt-log saves the HRT log" 'ready' "$T_TMP/hrt.log"
	vm "$O_" "$E_" -q -- hvm-demo
	expect_eq "a program linked with libhvm.so (from the guest tree) runs" 0 "$RC"
	expect_match "hvm-demo: the HRT prints through forwarded writes" '^  \[HRT\] walked' "$O_"
	expect_match "hvm-demo: parallel sum on the HRT cores is right" 'expected [0-9]+\): ok' "$O_"
	vm "$O_" "$E_" -q --no-hrt -- sh -c 'hvm-partition; test ! -e /dev/hvm'
	expect_eq "--no-hrt leaves hvm.ko unloaded" 0 "$RC"
	expect_match "--no-hrt boots no HRT" 'state empty, boots 0' "$O_"
else
	not_ok "HRT and hvm.ko built" "missing $O/guest/lib/hvm/hvm.ko or $O/hrt-kernel/hrt.elf"
fi

# --- stdout and stderr stay apart; no kernel chatter
vm "$O_" "$E_" -q -- sh -c 'echo to-out; echo to-err >&2'
expect_eq "command stdout reaches stdout only" to-out "$(cat "$O_")"
expect_eq "command stderr reaches stderr only" to-err "$(cat "$E_")"

# --- --share and --add
mkdir -p "$T_TMP/share" && echo "shared-$$" >"$T_TMP/share/file.txt"
echo "added-$$" >"$T_TMP/added.txt"
# The same boot checks the ROS's mounts as a booted Debian has them.
cp tests/vm/guest/ros-env.sh "$T_TMP/share/"
vm "$O_" "$E_" -q --share "$T_TMP/share:/mnt/s" --add "$T_TMP/added.txt:/opt/a.txt" \
	-- sh -c 'cat /mnt/s/file.txt /opt/a.txt; echo w >/mnt/s/back.txt
		sh /mnt/s/ros-env.sh'
expect_eq "--share file is readable in the ROS" "shared-$$" "$(sed -n 1p "$O_")"
expect_eq "--add file is in the initramfs" "added-$$" "$(sed -n 2p "$O_")"
expect_eq "--share is writable from the ROS" w "$(cat "$T_TMP/share/back.txt" 2>/dev/null)"
guest_verdicts "initramfs" "$O_" "$E_"

# --- --host-root runs a host binary that busybox does not have
vm "$O_" "$E_" -q --host-root -- /usr/bin/python3 -S -c 'import sys; print("py", 6 * 7, sys.platform)'
expect_eq "--host-root runs the host's python3" "py 42 linux" "$(cat "$O_")"

# --- the shell with no command, fed from a pipe: runs it, ends at its end
printf 'echo hi-$((6*7))\nexit 5\n' | timeout -k 5 120 "$HVM_RUN" -q >"$O_" 2>"$E_"
RC=$?
expect_eq "piped shell exit status" 5 "$RC"
expect_eq "piped shell runs what is piped, output only" hi-42 "$(cat "$O_")"

# --- the timeout path
start=$(date +%s)
vm "$O_" "$E_" -q --timeout 3 -- sleep 600
expect_eq "--timeout ends the command with 124" 124 "$RC"
expect_match "--timeout says so" 'timed out after 3 s' "$E_"
[ $(($(date +%s) - start)) -lt 60 ] && ok "--timeout returns promptly" || not_ok "--timeout returns promptly"

# --- a guest that never reaches user space: no init, no root, panic=0 hangs
# (a later -append wins in QEMU), whatever the machine's load
vm "$O_" "$E_" -q --boot-timeout 20 --qemu-arg=-append \
	--qemu-arg="console=ttyS0,115200 rdinit=/nonexistent root=/dev/nonexistent panic=0" -- true
expect_eq "boot timeout is a launcher error (125)" 125 "$RC"
expect_match "boot timeout says the guest did not reach user space" \
	'did not reach user space within 20 s' "$E_"
expect_match "boot timeout shows the last console lines" '^  \| .*(panic|VFS)' "$E_"

# --- SIGTERM to hvm-run shuts the VM down and cleans up
# (the same VM serves --gdb: the gdbstub port must accept a connection)
gdbport=$((20000 + $$ % 20000))
"$HVM_RUN" -q --gdb "$gdbport" -- sleep 600 >"$O_" 2>"$E_" &
pid=$!
for _ in $(seq 1 60); do
	sleep 1
	pgrep -f "qemu-system-x86_64 -name hvm" -P "$pid" >/dev/null && break
done
sleep 8
if (exec 3<>"/dev/tcp/127.0.0.1/$gdbport") 2>/dev/null; then
	ok "--gdb PORT: QEMU's gdbstub listens"
else
	not_ok "--gdb PORT: QEMU's gdbstub listens" "nothing on port $gdbport"
fi
kill -TERM "$pid"
wait "$pid"
RC=$?
expect_eq "SIGTERM to hvm-run exits 128+15" 143 "$RC"
if pgrep -P "$pid" >/dev/null 2>&1; then not_ok "QEMU gone after SIGTERM"; else ok "QEMU gone after SIGTERM"; fi

# --- --pin and --numa on this host: do what can be done, say what cannot
vm "$O_" "$E_" -v --pin --numa 7 -- true
expect_eq "--pin --numa 7 still runs" 0 "$RC"
expect_match "--numa on a host without that node says so" '--numa 7: .*left unbound' "$E_"
if [ "$(nproc)" -ge 2 ]; then
	expect_match "--pin pins HRT vCPU threads" 'pinned HRT vCPU 1' "$E_"
else
	expect_match "--pin on one core says it cannot" 'not pinning' "$E_"
fi

# --- bad arguments: a clear one-line error, status 125, no VM
bad() {
	local name=$1 regex=$2
	shift 2
	vm "$O_" "$E_" "$@"
	if [ "$RC" -eq 125 ] && [ "$(wc -l <"$E_")" -le 2 ] && grep -Eq -- "$regex" "$E_"; then
		ok "bad arguments: $name"
	else
		not_ok "bad arguments: $name" "rc=$RC: $(head -c 300 "$E_")"
	fi
}
bad "zero HRT cores" 'zero HRT cores' --cores 1:0 -- true
bad "more vCPUs than QEMU allows" 'QEMU allows at most' --cores 200:60 -- true
bad "HRT memory not a power of two" 'not a power of two' --mem 512M:96M -- true
bad "ROS memory too small" 'too small to boot' --mem 32M:64M -- true
bad "unreadable share" 'cannot share /nonexistent' --share /nonexistent -- true
bad "missing QEMU" 'QEMU not found' --qemu /nonexistent/qemu -- true
bad "missing kernel" 'ROS kernel not found' --kernel /nonexistent/vmlinuz -- true
bad "command without --" 'put the guest command after --' true
bad "unknown option" "unknown option '--frobnicate'" --frobnicate -- true
bad "bad accelerator" '--accel wants auto, kvm or tcg' --accel xen -- true
bad "garbage size" '--mem wants' --mem lots -- true
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$HVM_RUN" --accel kvm -- true 2>&1)
	rc=$?
	if [ $rc -eq 125 ] && echo "$err" | grep -q '/dev/kvm is not accessible'; then
		ok "bad arguments: --accel kvm without /dev/kvm access"
	else
		not_ok "bad arguments: --accel kvm without /dev/kvm access" "rc=$rc: $err"
	fi
fi
vm "$O_" "$E_" --help
expect_match "--help prints usage" '^usage: hvm-run' "$O_"
vm "$O_" "$E_" --version
expect_match "--version prints the ABI" 'HVM ABI [0-9]+' "$O_"

expect_eq "no temporary files left behind" "$before" "$(tmpfiles)"
summary
