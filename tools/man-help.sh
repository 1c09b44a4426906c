#!/bin/sh
# SPDX-License-Identifier: MIT
# man-help.sh PROGRAM OPTION... - runs PROGRAM OPTION... and prints its text
# the way help2man reads a synopsis: "usage: " becomes "Usage: " and the
# indented synopsis lines right after it become "  or: " lines; a "label: "
# line (e.g. "exit: ...") starts a paragraph of its own.  install.mk
# gives help2man "tools/man-help.sh PROGRAM" as the program to run, so each
# man page comes from the program's own --help text and nothing else.
set -e
prog=$1
shift
name=$(basename "$prog")
"$prog" "$@" | sed -e '1s/^usage: /Usage: /' \
	-e "2,/^[^ ]/s/^ \{2,\}\($name \)/  or: \1/" \
	-e '2,$s/^[A-Za-z][A-Za-z ]*: /\n&/'
