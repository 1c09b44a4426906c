#!/bin/bash
# SPDX-License-Identifier: MIT
# short.sh - every reliability campaign at tiny sizes in one VM boot (part of make test; make stress runs the full sizes).
#
# The seed is fixed (STRESS_SEED overrides it) and the image campaign uses
# two mutants with known outcomes.  The reboot storm runs last and the
# fuzzer's valid reboots are turned away, so that a reboot problem shows
# in the reboot campaign and does not spill into the others.  Checks
# listed in tests/stress/known-defects are reported, not counted.
set -u
cd "$(dirname "$0")/../.." || exit 2
export STRESS_SEED=${STRESS_SEED:-1}
export STRESS_FAULTS=60 STRESS_REBOOTS=7 STRESS_KILLS=6 STRESS_FUZZ_OPS=400
export STRESS_FUZZ_REBOOTS=0 STRESS_IMAGES=fixed STRESS_LOAD=2,2 STRESS_LOAD_SECS=4
exec tests/stress/run.sh --one-vm --known tests/stress/known-defects \
	faults kills fuzz unpriv load images reboots
