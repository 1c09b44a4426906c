#!/bin/bash
# SPDX-License-Identifier: MIT
# license.sh - every source file carries the SPDX licence line LICENSE gives its directory.
set -u
cd "$(dirname "$0")/../.."
pass=0
fail=0

# The identifier LICENSE names for (path).
expected() {
	case $1 in
	ros-driver/*) echo "GPL-2.0" ;;
	include/*) echo "GPL-2.0 OR MIT" ;;
	*) echo "MIT" ;;
	esac
}

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files '*.c' '*.h' '*.S' '*.inc' '*.cpp' '*.ld' \
		'*.sh' '*.mk' '*.py' 'Makefile' '*/Kbuild' 'tests/run' '.ci/run' \
		'tools/hvm-plot')
else
	mapfile -t files < <(find . -path ./build -prune -o -type f \( -name '*.[chS]' \
		-o -name '*.cpp' -o -name '*.ld' -o -name '*.sh' -o -name '*.mk' \
		-o -name '*.py' -o -name Makefile -o -name Kbuild -o -name hvm-plot \) -print | sed 's|^\./||' | sort)
fi
for f in "${files[@]}"; do
	want=$(expected "$f")
	# The first two lines: a shebang may come first.
	got=$(head -2 "$f" | sed -n 's/.*SPDX-License-Identifier: \(.*\)/\1/p' |
		sed 's| \*/$||' | head -1)
	if [ "$got" = "$want" ]; then
		echo "ok - license: $f"
		pass=$((pass + 1))
	else
		echo "not ok - license: $f: SPDX '${got:-none}', LICENSE says '$want'"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
