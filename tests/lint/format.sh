#!/bin/bash
# SPDX-License-Identifier: MIT
# format.sh - every C source and header must be as clang-format leaves it.
#
# The style is .clang-format (Linux kernel layout).  Code that must keep a
# hand layout (assembler macros in headers, kernel attribute macros) sits
# between /* clang-format off */ and /* clang-format on */ with the reason.
set -u
cd "$(dirname "$0")/../.."
pass=0
fail=0
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files '*.c' '*.h')
else
	mapfile -t files < <(find . -path ./build -prune -o \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
fi
for f in "${files[@]}"; do
	if out=$(clang-format --dry-run -Werror "$f" 2>&1); then
		echo "ok - clang-format: $f"
		pass=$((pass + 1))
	else
		echo "not ok - clang-format: $f (run: clang-format -i $f)"
		echo "$out" | head -12 | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
