# SPDX-License-Identifier: MIT
# accel.sh - sourced by the VM benchmarks: names the accelerator hvm-run used.

# bench_accel ACCEL ERR: prints the accelerator of a run started with
# --accel ACCEL whose stderr is in file ERR.  hvm-run (hvm/accel.c) says
# "using TCG" when it falls back from a present /dev/kvm and nothing when
# it uses KVM.
bench_accel() {
	if [ "$1" != auto ]; then
		echo "$1" | tr '[:lower:]' '[:upper:]'
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "TCG (no usable /dev/kvm)"
	elif grep -q "using TCG" "$2"; then
		echo "TCG ($(grep -m1 "using TCG" "$2" | sed 's/^hvm-run: //'))"
	else
		echo KVM
	fi
}
