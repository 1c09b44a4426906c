#!/bin/bash
# SPDX-License-Identifier: MIT
# install.sh - `make install` into a temporary DESTDIR: the files, a program
# built against the installed header and libhvm through pkg-config, the man
# pages, the installed hvm-run booted from another folder (one VM boot), and
# `make uninstall` leaving no file behind.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/vm/lib.sh

ROOT=$PWD
PREFIX=/usr/local
D=$T_TMP/dest
P=$D$PREFIX
# A clean sub-make: not the -j/jobserver flags of a `make test` around us.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory O="$O" "$@"
}

# ---- make install
if mk install DESTDIR="$D" PREFIX=$PREFIX >"$T_TMP/install.log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=$PREFIX"
else
	not_ok "make install DESTDIR=... PREFIX=$PREFIX"
	tail -n 20 "$T_TMP/install.log" | sed 's/^/#   /'
	summary
	exit
fi

want=(bin/hvm-run lib/hvm/hvm/hvm-init lib/hvm/hrt-kernel/hrt.elf
	lib/hvm/kernel/vmlinuz lib/hvm/kernel/modules/modules.dep
	lib/hvm/guest/lib/hvm/hvm.ko lib/hvm/guest/usr/bin/hvmctl
	lib/hvm/guest/usr/bin/hvm-prof lib/hvm/guest/usr/bin/hrt-exec
	lib/hvm/guest/usr/lib/libhvm.so.1 lib/hvm/guest/usr/lib/hvm/libhrt-exec.so
	lib/hvm/libhrt-exec.a include/hvm/hvm.h include/hvm/hvm_abi.h
	include/hvm/hvm_uapi.h include/hvm/hvm_chan.h include/hvm/hvm_layout.h
	include/hvm/hvm_tsc.h include/hvm/hvm_prof.h
	lib/libhvm.so.1 lib/libhvm.so
	lib/libhvm.a lib/pkgconfig/hvm.pc share/man/man1/hvm-run.1
	share/man/man1/hvmctl.1 share/man/man1/hvm-prof.1 share/man/man1/hrt-exec.1)
missing=
for f in "${want[@]}"; do
	[ -e "$P/$f" ] || missing="$missing $f"
done
expect_eq "installed: launcher, HRT image, kernel, guest tree, headers, libhvm, hvm.pc, man pages" \
	"" "$missing"
outside=$(find "$D" ! -type d ! -path "$P/*")
expect_eq "nothing installed outside PREFIX" "" "$outside"
expect_eq "PREFIX/bin holds the host program only" "hvm-run" "$(ls "$P/bin")"
expect_eq "libhvm.so is the link-time symlink to libhvm.so.1" "libhvm.so.1" \
	"$(readlink "$P/lib/libhvm.so")"
soname=$(readelf -d "$P/lib/libhvm.so.1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
expect_eq "libhvm.so.1 has soname libhvm.so.1" "libhvm.so.1" "$soname"
needed=$(readelf -d "$P/lib/hvm/guest/usr/bin/hvm-prof" | grep -o 'libhvm[^]]*')
expect_eq "guest hvm-prof needs libhvm.so.1, which the guest tree has" "libhvm.so.1" "$needed"
nmods=0
badmods=
while IFS=: read -r m _; do
	nmods=$((nmods + 1))
	[ -f "$P/lib/hvm/kernel/modules/$m" ] || badmods="$badmods $m"
done <"$P/lib/hvm/kernel/modules/modules.dep"
if [ "$nmods" -ge 3 ] && [ -z "$badmods" ]; then
	ok "the $nmods kernel modules of the installed modules.dep are installed"
else
	not_ok "the kernel modules of the installed modules.dep are installed" \
		"$nmods listed, missing:$badmods"
fi

# ---- hvm.pc and a program built against the installed files
expect_match "hvm.pc names the installed prefix" "^prefix=$PREFIX\$" "$P/lib/pkgconfig/hvm.pc"
expect_no_match "hvm.pc does not name the build tree" "$ROOT" "$P/lib/pkgconfig/hvm.pc"
cat >"$T_TMP/t.c" <<'EOF'
#include <stdio.h>
#include <hvm.h>
#include <hvm_uapi.h>
#include <hvm_chan.h>

int main(void)
{
	struct hrt_info info;

	printf("%d\n", hrt_info(&info)); /* no /dev/hvm on the host */
	return 0;
}
EOF
pc() {
	PKG_CONFIG_LIBDIR=$P/lib/pkgconfig PKG_CONFIG_PATH='' PKG_CONFIG_SYSROOT_DIR=$D \
		pkg-config "$@"
}
flags=$(pc --cflags --libs hvm 2>&1 | sed "s/ *$//")
cflags=$(pc --cflags hvm)
expect_eq "pkg-config --cflags --libs hvm (sysroot DESTDIR)" \
	"-I$P/include/hvm -L$P/lib -lhvm -pthread" "$flags"
# shellcheck disable=SC2086
if cc -std=gnu11 -Wall -Wextra -Werror "$T_TMP/t.c" $flags -o "$T_TMP/t" 2>"$T_TMP/cc.err" &&
	readelf -d "$T_TMP/t" | grep -q 'NEEDED.*\[libhvm\.so\.1\]' &&
	LD_LIBRARY_PATH=$P/lib "$T_TMP/t" >"$T_TMP/t.out" 2>&1 &&
	grep -Eq '^-[0-9]+$' "$T_TMP/t.out"; then
	ok "a program built with pkg-config's flags links libhvm.so.1 and runs"
else
	not_ok "a program built with pkg-config's flags links libhvm.so.1 and runs"
	cat "$T_TMP/cc.err" "$T_TMP/t.out" 2>/dev/null | sed 's/^/#   /'
fi
# shellcheck disable=SC2086
if cc -std=gnu11 -Wall -Werror "$T_TMP/t.c" $cflags "$P/lib/libhvm.a" -pthread \
	-o "$T_TMP/t-static" 2>"$T_TMP/cc.err" &&
	! readelf -d "$T_TMP/t-static" | grep -q 'libhvm' && "$T_TMP/t-static" >/dev/null; then
	ok "a program links the installed libhvm.a"
else
	not_ok "a program links the installed libhvm.a"
	sed 's/^/#   /' "$T_TMP/cc.err"
fi
# shellcheck disable=SC2086
if c++ -fsyntax-only -x c++ "$T_TMP/t.c" $cflags 2>"$T_TMP/cc.err"; then
	ok "the installed headers compile as C++"
else
	not_ok "the installed headers compile as C++"
	sed 's/^/#   /' "$T_TMP/cc.err"
fi

# ---- man pages
for name in hvm-run hvmctl hvm-prof hrt-exec; do
	page=$P/share/man/man1/$name.1
	whatis=$(lexgrog "$page" 2>&1)
	warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	MANWIDTH=80 man -P cat -l "$page" >"$T_TMP/man.txt" 2>&1
	rc=$?
	if [ "$rc" = 0 ] && [ -z "$warn" ] && [[ $whatis == *"\"$name - "* ]] &&
		grep -q '^SYNOPSIS' "$T_TMP/man.txt" && grep -q "^ *$name " "$T_TMP/man.txt" &&
		grep -q -- '--\|-[a-z]' "$T_TMP/man.txt"; then
		ok "man -l $name.1: NAME, SYNOPSIS, options, no groff warnings"
	else
		not_ok "man -l $name.1: NAME, SYNOPSIS, options, no groff warnings" \
			"man exit $rc; lexgrog: $whatis; groff: $warn"
		head -n 15 "$T_TMP/man.txt" | sed 's/^/#   /'
	fi
done

# ---- the installed hvm-run, from another folder
HVM_RUN=$P/bin/hvm-run
cd / || exit 1
vm "$T_TMP/out" "$T_TMP/err" -- sh -c 'hvmctl status && hvm-prof -q -n 10 null && echo prof-ok'
cd "$ROOT" || exit 1
expect_eq "installed hvm-run, run from /: hvmctl status and hvm-prof in the ROS exit 0" 0 "$RC"
[ "$RC" = 0 ] || tail -n 15 "$T_TMP/err" | sed 's/^/#   /'
expect_match "installed hvm-run: the HRT from the installed image is ready" '^state: ready$' \
	"$T_TMP/out"
expect_match "installed hvm-run: hvm-prof ran on the installed libhvm.so.1" '^prof-ok$' "$T_TMP/out"

# hvm-run alone, without a lib/hvm beside it: the build-tree layout relative
# to its own path (not to the working folder), so it names what is missing.
mkdir -p "$T_TMP/lone/bin"
cp "$P/bin/hvm-run" "$T_TMP/lone/bin/"
(cd / && "$T_TMP/lone/bin/hvm-run" -- true) >"$T_TMP/lone.out" 2>&1
RC=$?
expect_eq "hvm-run without its parts fails as a launcher error" 125 "$RC"
expect_match "hvm-run without its parts looks beside itself" \
	"ROS kernel not found: $T_TMP/lone/kernel/vmlinuz" "$T_TMP/lone.out"

# ---- make uninstall
if mk uninstall DESTDIR="$D" PREFIX=$PREFIX >"$T_TMP/uninstall.log" 2>&1; then
	ok "make uninstall DESTDIR=... PREFIX=$PREFIX"
else
	not_ok "make uninstall DESTDIR=... PREFIX=$PREFIX"
	tail -n 20 "$T_TMP/uninstall.log" | sed 's/^/#   /'
fi
left=$(find "$D" ! -type d)
expect_eq "make uninstall leaves no file behind" "" "$left"
left=$(find "$P/lib/hvm" "$P/include/hvm" 2>/dev/null)
expect_eq "make uninstall removes lib/hvm and include/hvm" "" "$left"

# A relative PREFIX is refused before anything is installed.
mk install DESTDIR="$T_TMP/rel" PREFIX=usr >"$T_TMP/rel.log" 2>&1
RC=$?
if [ "$RC" != 0 ] && grep -q 'PREFIX must be an absolute path' "$T_TMP/rel.log" &&
	[ -z "$(find "$T_TMP/rel" ! -type d 2>/dev/null)" ]; then
	ok "make install refuses a relative PREFIX"
else
	not_ok "make install refuses a relative PREFIX" "exit $RC"
fi

summary
