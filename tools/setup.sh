#!/bin/bash
# SPDX-License-Identifier: MIT
# setup.sh - installs the host packages the build needs and fetches the ROS kernel.
#
#   setup.sh packages      install missing Debian packages (root) or print the
#                          exact apt-get line (non-root) and fail
#   setup.sh kernel DIR    apt-get download the kernel that linux-image-amd64
#                          names, its headers and kbuild; unpack under DIR
set -euo pipefail

PACKAGES=(gcc g++ make libc6-dev qemu-system-x86 busybox-static libnuma-dev
	libjson-c-dev libcmocka-dev cpio kmod xz-utils bc flex bison libelf-dev
	libssl-dev dwarves python3 gnuplot-nox jq pigz help2man clang-format
	libpython3.11-testsuite libfftw3-dev openmpi-bin libopenmpi-dev mpich
	libmpich-dev openssh-client dropbear-bin strace)

missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed' || echo "$p"
	done
}

do_packages() {
	local miss
	miss=$(missing_packages | tr '\n' ' ')
	[ -z "$miss" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages; run as root:" >&2
		echo "  apt-get install -y $miss" >&2
		exit 1
	fi
	echo "setup: installing $miss"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $miss >/dev/null
}

# The kernel image package that the metapackage depends on right now.
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

do_kernel() {
	local dir=$1 img ver common kbuild deb
	mkdir -p "$dir/debs"
	dir=$(cd "$dir" && pwd)
	if [ -f "$dir/.stamp" ] && [ -f "$dir/release" ]; then
		return 0
	fi
	img=$(kernel_package)
	if [ -z "$img" ]; then
		[ "$(id -u)" -eq 0 ] && apt-get update -qq
		img=$(kernel_package)
	fi
	[ -n "$img" ] || { echo "setup: apt-cache names no linux-image-amd64 kernel" >&2; exit 1; }
	ver=${img#linux-image-}             # 6.1.0-56-amd64
	common=linux-headers-${ver%-amd64}-common
	kbuild=linux-kbuild-$(echo "$ver" | cut -d. -f1,2)
	echo "setup: fetching ROS kernel $ver"
	(cd "$dir/debs" && for p in "$img" "linux-headers-$ver" "$common" "$kbuild"; do
		ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p" 2>&1 |
			grep -v -e '^Get:' -e unsandboxed || true
		ls "${p}"_*.deb >/dev/null 2>&1 || { echo "setup: could not download $p" >&2; exit 1; }
	done)
	rm -rf "$dir/root"
	mkdir -p "$dir/root"
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir/root"
	done
	# The arch headers' Makefile includes the common tree by absolute path
	# (/usr/src/linux-headers-*-common); point it at our unpacked copy.  The
	# scripts symlinks point into /usr/lib/linux-kbuild-*; rewrite those too.
	local hdr="$dir/root/usr/src/linux-headers-$ver"
	sed -i "s|/usr/src/linux-headers-|$dir/root/usr/src/linux-headers-|g" "$hdr/Makefile"
	local l t
	for l in $(find "$dir/root/usr/src" -maxdepth 2 -type l); do
		t=$(readlink "$l")
		case "$t" in
		/*) ln -sfn "$dir/root$t" "$l" ;;
		esac
	done
	# The package leaves modules.dep to the installer: make it here.
	/sbin/depmod -b "$dir/root" "$ver"
	echo "$ver" >"$dir/release"
	ln -sfn "root/usr/src/linux-headers-$ver" "$dir/build"
	ln -sfn "root/boot/vmlinuz-$ver" "$dir/vmlinuz"
	ln -sfn "root/lib/modules/$ver" "$dir/modules"
	touch "$dir/.stamp"
}

# checkpatch.pl and its data files, from Debian's linux-source package of
# the same series (the headers packages do not ship it).
do_checkpatch() {
	local dir=$1 ver series tmp
	[ -f "$dir/checkpatch.pl" ] && return 0
	ver=$(kernel_package)
	ver=${ver#linux-image-}
	series=$(echo "$ver" | cut -d. -f1,2)
	tmp=$(mktemp -d)
	mkdir -p "$dir"
	echo "setup: fetching checkpatch.pl from linux-source-$series"
	(cd "$tmp" && apt-get download "linux-source-$series" 2>&1 |
		grep -v -e '^Get:' -e unsandboxed || true)
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-*.deb |
		tar -x -C "$tmp" --wildcards '*.tar.xz'
	tar -xJf "$tmp"/usr/src/linux-source-*.tar.xz -C "$tmp" --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	cp "$tmp"/linux-source-*/scripts/{checkpatch.pl,spelling.txt,const_structs.checkpatch} "$dir/"
	rm -rf "$tmp"
}

case "${1:-}" in
packages) do_packages ;;
kernel) do_kernel "${2:?setup.sh kernel DIR}" ;;
checkpatch) do_checkpatch "${2:?setup.sh checkpatch DIR}" ;;
*) echo "usage: setup.sh packages | kernel DIR | checkpatch DIR" >&2; exit 2 ;;
esac
