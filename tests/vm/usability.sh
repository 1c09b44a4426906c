#!/bin/bash
# SPDX-License-Identifier: MIT
# usability.sh - day-to-day hvm-run: piped shell, stdin to a command, --add of
# folders and of programs with libraries from LD_LIBRARY_PATH or RUNPATH,
# loopback, --net user with a forwarded port, --share under --host-root,
# QEMU's own errors, --help everywhere.  Two boots; the rest starts no VM.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh

O_=$T_TMP/out
E_=$T_TMP/err
cr=$(printf '\r')

# --- no boot: QEMU's own words on a failure
vm "$O_" "$E_" --cores 2:1 --qemu-arg -nonsense -- true
expect_eq "bad --qemu-arg: launcher error 125" 125 "$RC"
expect_match "bad --qemu-arg: QEMU's own stderr is shown" \
	'^  \| .*-nonsense: invalid option' "$E_"
expect_match "bad --qemu-arg: says QEMU ended and how" 'exit status 1' "$E_"
if [ "$(nproc)" -lt 3 ]; then
	expect_match "more vCPUs than host cores: a warning" \
		"3 vCPUs on $(nproc) host core" "$E_"
fi
busy=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$busy)); s.listen(1); time.sleep(60)" &
holder=$!
sleep 0.5
vm "$O_" "$E_" -q --forward "$busy:80" -- true
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
expect_eq "--forward to a busy host port: 125" 125 "$RC"
expect_match "--forward to a busy host port: QEMU says why" \
	"^  \| .*(forward|$busy)" "$E_"
vm "$O_" "$E_" -q --timeout-total 2 -- sleep 100
expect_eq "--timeout-total counts the boot too: 124" 124 "$RC"
expect_match "--timeout-total says so" 'timed out after 2 s \(--timeout-total\)' "$E_"

# --- programs and libraries built here
L=$T_TMP/libs
mkdir -p "$L/lib" "$L/bin" "$T_TMP/tree/bin" "$T_TMP/tree/lib" "$T_TMP/tree/sub"
echo 'int foo(void) { return 42; }' >"$L/foo.c"
printf '#include <stdio.h>\nint foo(void);\nint main(void) { printf("foo=%%d\\n", foo()); return 0; }\n' >"$L/m.c"
cc -shared -fPIC -Wl,-soname,libhvmtestfoo.so.1 "$L/foo.c" -o "$L/lib/libhvmtestfoo.so.1" &&
	cc "$L/m.c" -L"$L/lib" -l:libhvmtestfoo.so.1 -o "$L/bin/envprog" &&
	cp "$L/lib/libhvmtestfoo.so.1" "$T_TMP/tree/lib/" &&
	cc "$L/m.c" -L"$L/lib" -l:libhvmtestfoo.so.1 -Wl,-rpath,'$ORIGIN/../lib' \
		-o "$T_TMP/tree/bin/rprog" ||
	not_ok "building the test programs"
echo "deep-$$" >"$T_TMP/tree/sub/f.txt"
ln -s sub/f.txt "$T_TMP/tree/link"

vm "$O_" "$E_" -q --add "$L/bin/envprog" -- /root/envprog
expect_eq "--add: a library only LD_LIBRARY_PATH finds is an error without it" 125 "$RC"
expect_match "--add: the error names the library and where it looked" \
	'needs libhvmtestfoo.so.1, which is not in its RUNPATH.*LD_LIBRARY_PATH' "$E_"

# --- boot 1: the piped shell, --add folder, LD_LIBRARY_PATH, loopback, --help
cat >"$T_TMP/script.sh" <<'SCRIPT'
cat /proc/cpuinfo | grep -c processor
/root/envprog
/opt/tree/bin/rprog
cat /opt/tree/link
hostname
grep -c "127.0.1.1.*$(hostname)" /etc/hosts
httpd -p 127.0.0.1:8080 -h /opt/tree
wget -q -O- http://localhost:8080/sub/f.txt
for t in hvm-partition hvmctl hvm-prof hrt-exec; do $t --help >/tmp/h 2>&1 && grep -qi '^usage' /tmp/h && echo "help $t"; done
(exit 3)
SCRIPT
LD_LIBRARY_PATH=$L/lib timeout -k 5 300 "$HVM_RUN" -q --add "$L/bin/envprog" \
	--add "$T_TMP/tree:/opt/tree" <"$T_TMP/script.sh" >"$O_" 2>"$E_"
RC=$?
expect_eq "piped shell ends at end of input with the last status" 3 "$RC"
expect_eq "piped shell runs the first command" 1 "$(sed -n 1p "$O_")"
expect_no_match "piped shell: no carriage returns" "$cr" "$O_"
expect_no_match "piped shell: the input is not echoed" 'grep -c processor' "$O_"
expect_eq "--add with a library from LD_LIBRARY_PATH" foo=42 "$(sed -n 2p "$O_")"
expect_eq "--add DIR: a program with RUNPATH \$ORIGIN/../lib in it" foo=42 "$(sed -n 3p "$O_")"
expect_eq "--add DIR: files and symbolic links" "deep-$$" "$(sed -n 4p "$O_")"
expect_eq "the ROS has a host name" hvm "$(sed -n 5p "$O_")"
expect_eq "/etc/hosts names it" 1 "$(sed -n 6p "$O_")"
expect_eq "loopback: localhost reaches a server on 127.0.0.1" "deep-$$" "$(sed -n 7p "$O_")"
for t in hvm-partition hvmctl hvm-prof hrt-exec; do
	expect_match "$t --help" "^help $t\$" "$O_"
done
[ -s "$E_" ] && sed 's/^/#   /' "$E_"

# --- boot 2: --host-root with -i (streamed), --forward, --share, loopback
# (the guest's /tmp is its own: the script comes in through a share too)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T_TMP/www"
echo "www-$$" >"$T_TMP/www/index.txt"
seq 1 20000 >"$T_TMP/rest.txt"
mkfifo "$T_TMP/in.fifo"
timeout -k 5 300 "$HVM_RUN" -q -i --host-root --forward "$port:8000" \
	--share "$T_TMP/www" --share "$PWD/tests/vm/guest:/run/hvm-guest" \
	-- python3 /run/hvm-guest/usability-guest.py \
	/mnt/www <"$T_TMP/in.fifo" >"$O_" 2>"$E_" &
pid=$!
exec 3>"$T_TMP/in.fifo"
echo part1 >&3
for _ in $(seq 1 150); do grep -q '^got' "$O_" && break; sleep 1; done
expect_eq "-i: the command reads stdin while it is still open" "got part1" "$(grep '^got' "$O_")"
cat "$T_TMP/rest.txt" >&3
exec 3>&-
for _ in $(seq 1 120); do grep -q '^serving' "$O_" && break; sleep 1; done
got=
for _ in $(seq 1 30); do
	got=$(curl -s -m 5 "http://127.0.0.1:$port/index.txt") && [ -n "$got" ] && break
	sleep 1
done
expect_eq "--forward: the host reaches a server in the ROS" "www-$$" "$got"
wait "$pid"
RC=$?
expect_eq "--host-root -i --forward --share run ends well" 0 "$RC"
expect_eq "-i: all of stdin arrives, then its end" \
	"stdin lines 20000 $(sha256sum <"$T_TMP/rest.txt" | cut -d' ' -f1)" \
	"$(grep '^stdin' "$O_")"
expect_eq "--host-root: loopback works" "loopback ping" "$(grep '^loopback' "$O_")"
expect_eq "--host-root: the host name resolves" "hostname hvm 127.0.1.1" "$(grep '^hostname' "$O_")"
expect_eq "--share under --host-root: mounted at /mnt/NAME" "share www-$$" "$(grep '^share' "$O_")"
expect_eq "--share under --host-root: writable" "written in the ROS" "$(cat "$T_TMP/www/back.txt" 2>/dev/null)"
[ "$RC" = 0 ] || sed 's/^/#   /' "$O_" "$E_"
summary
