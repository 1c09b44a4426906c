# SPDX-License-Identifier: MIT
# install.mk - man pages (built with everything), `make install` and
# `make uninstall` under $(DESTDIR)$(PREFIX):
#
#   bin/hvm-run                  the launcher, the one host program
#   lib/hvm/                     its parts, laid out as in $(O): hvm-run takes
#                                them from <its folder>/../lib/hvm when that
#                                exists, else from the build tree.
#     hvm/hvm-init               the ROS's /init
#     hrt-kernel/hrt.elf         the HRT image
#     kernel/vmlinuz             the ROS kernel
#     kernel/modules/            the modules the initramfs takes, modules.dep
#     guest/                     the ROS-side tree: hvmctl, hvm-prof, hrt-exec,
#                                libhvm.so.1, hvm.ko, demo, tests, benchmarks
#     libhrt-exec.a              hrt-exec's static-link runtime
#   include/hvm/                 hvm.h and the ABI headers it and hvm.ko use
#   lib/libhvm.so.1, libhvm.so, libhvm.a, lib/pkgconfig/hvm.pc
#   share/man/man1/              hvm-run, hvmctl, hvm-prof, hrt-exec
#
# `make uninstall` with the same PREFIX and DESTDIR removes those files and
# the then empty folders of lib/hvm/ and include/hvm/.

PREFIX ?= /usr/local
DESTDIR ?=
HVM_VERSION := $(shell sed -n 's/^\#define HVM_VERSION "\(.*\)"/\1/p' hvm/version.h)

# ------------------------------------------------------------- man pages
# Each page is help2man's rendering of the program's own --help text
# (tools/man-help.sh shapes its synopsis), plus a NAME line and SEE ALSO.
# The ROS tools run on the host for this; only hvm-run has a --version.
MAN_OUT := $(O)/man
MAN_NAMES := hvm-run hvmctl hvm-prof hrt-exec
MAN_PAGES := $(MAN_NAMES:%=$(MAN_OUT)/%.1)
MAN_PROG_hvm-run := $(O)/hvm/hvm-run
MAN_PROG_hvmctl := $(HVMCTL_STAGED)
MAN_PROG_hvm-prof := $(HVM_PROF)
MAN_PROG_hrt-exec := $(HRT_EXEC)
MAN_DESC_hvm-run := boot the Hybrid VM (a Linux ROS and the HRT) and run a command in it
MAN_DESC_hvmctl := control hvm.ko and the HRT from inside the ROS
MAN_DESC_hvm-prof := profile hrt_invoke latency stage by stage (runs in the ROS)
MAN_DESC_hrt-exec := run a program's main and threads on the HRT cores (runs in the ROS)
MAN_FILES_hvm-run := Installed as PREFIX/bin/hvm-run, hvm-run takes the ROS kernel, its \
	modules, the HRT image, the guest init and the ROS-side tree (guest/) from \
	PREFIX/lib/hvm; run from a build tree, from that tree (build/).

$(foreach p,$(MAN_NAMES),$(eval $(MAN_OUT)/$(p).1: $(MAN_PROG_$(p))))

$(MAN_OUT)/%.1: tools/man-help.sh install.mk hvm/version.h
	@mkdir -p $(@D)
	$(call quiet,MAN,$@)
	$(Q)command -v help2man >/dev/null || { echo "help2man not found: make setup installs it" \
		"(Debian package help2man)" >&2; exit 1; }
	$(Q){ printf '[SEE ALSO]\n'; printf '.BR %s (1)\n' $(filter-out $*,$(MAN_NAMES)) | \
		sed '$$!s/$$/,/'; $(if $(MAN_FILES_$*),printf '[FILES]\n%s\n' '$(MAN_FILES_$*)';) \
		} > $@.h2m
	$(Q)LD_LIBRARY_PATH=$(LIBHVM_OUT) help2man --no-info --section=1 \
		--manual='HVM Manual' --source='HVM $(HVM_VERSION)' --name="$(MAN_DESC_$*)" \
		$(if $(filter hvm-run,$*),,--version-string='$* $(HVM_VERSION)') \
		--include=$@.h2m --output=$@.tmp 'tools/man-help.sh $(MAN_PROG_$*)'
	$(Q)rm -f $@.h2m && mv $@.tmp $@

ALL_TARGETS += $(MAN_PAGES)

# --------------------------------------------------- what goes where
# SOURCE:DEST:MODE, DEST relative to $(PREFIX).  The guest tree is every
# file the build stages under $(O)/guest.
HVM_LIBDIR := $(PREFIX)/lib/hvm
HVM_GUEST_FILES := $(sort $(filter $(O)/guest/%,$(ALL_TARGETS)))
INSTALL_FILES := \
	$(O)/hvm/hvm-run:bin/hvm-run:755 \
	$(O)/hvm/hvm-init:lib/hvm/hvm/hvm-init:755 \
	$(HRT_OUT)/hrt.elf:lib/hvm/hrt-kernel/hrt.elf:644 \
	$(KDIR_BASE)/vmlinuz:lib/hvm/kernel/vmlinuz:644 \
	$(foreach f,$(HVM_GUEST_FILES),$(f):lib/hvm/guest/$(f:$(O)/guest/%=%):$(if \
		$(filter $(O)/guest/usr/bin/%,$(f)),755,644)) \
	$(HRT_EXEC_A):lib/hvm/libhrt-exec.a:644 \
	$(foreach h,libhvm/hvm.h $(wildcard include/*.h),\
		$(h):include/hvm/$(notdir $(h)):644) \
	$(LIBHVM_SO_REAL):lib/$(LIBHVM_SONAME):644 \
	$(LIBHVM_A):lib/libhvm.a:644 \
	$(foreach p,$(MAN_PAGES),$(p):share/man/man1/$(notdir $(p)):644)
inst_field = $(word $(2),$(subst :, ,$(1)))

# The modules hvm-run's initramfs takes (initramfs_modules[] in
# hvm/initramfs.c) and everything they need, by modules.dep, whose lines for
# them become the installed modules.dep.
HVM_MODULES = $(shell sed -n '/initramfs_modules\[\] = {/,/NULL/p' hvm/initramfs.c | \
	grep -o '"[^"]*"' | tr -d '"')
MODULES_AWK := BEGIN { if (!split(names, n, " ")) { print "install: no module names found in" \
		" hvm/initramfs.c" > "/dev/stderr"; exit 1 }; for (i in n) want[n[i]] = 0 } \
	NR == FNR { k = $$1; sub(/:$$/, "", k); b = k; sub(/.*\//, "", b); sub(/\.ko.*/, "", b); \
		if (b in want) { want[b] = 1; need[k] = 1; for (i = 2; i <= NF; i++) need[$$i] = 1 }; \
		next } \
	FNR == 1 { for (b in want) if (!want[b]) { print "install: no module " b > "/dev/stderr"; \
		exit 1 } } \
	{ k = $$1; sub(/:$$/, "", k) } (k in need)

define install_file
	$(call quiet,INSTALL,$(DESTDIR)$(PREFIX)/$(call inst_field,$(1),2))
	$(Q)install -D -m $(call inst_field,$(1),3) $(call inst_field,$(1),1) \
		$(DESTDIR)$(PREFIX)/$(call inst_field,$(1),2)

endef

.PHONY: install uninstall
install: all
	$(Q)case '$(PREFIX)' in /*) ;; *) echo "install: PREFIX must be an absolute path" >&2; \
		exit 1;; esac
	$(foreach f,$(INSTALL_FILES),$(call install_file,$(f)))
	$(call quiet,LN,$(DESTDIR)$(PREFIX)/lib/libhvm.so)
	$(Q)ln -sfn $(LIBHVM_SONAME) $(DESTDIR)$(PREFIX)/lib/libhvm.so
	$(call quiet,GEN,$(DESTDIR)$(PREFIX)/lib/pkgconfig/hvm.pc)
	$(Q)mkdir -p $(DESTDIR)$(PREFIX)/lib/pkgconfig
	$(Q)$(call libhvm_pc,$(PREFIX),$${prefix}/include/hvm,$${prefix}/lib,) \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/hvm.pc
	$(call quiet,INSTALL,$(DESTDIR)$(HVM_LIBDIR)/kernel/modules)
	$(Q)d=$(DESTDIR)$(HVM_LIBDIR)/kernel/modules && mkdir -p $$d && \
		awk -v names='$(HVM_MODULES)' '$(MODULES_AWK)' $(KDIR_BASE)/modules/modules.dep \
		$(KDIR_BASE)/modules/modules.dep > $$d/modules.dep || { rm -f $$d/modules.dep; exit 1; } ; \
		for m in $$(cut -d: -f1 $$d/modules.dep); do \
			install -D -m 644 $(KDIR_BASE)/modules/$$m $$d/$$m || exit 1; done
	$(Q)if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

uninstall:
	$(call quiet,UNINST,$(DESTDIR)$(PREFIX))
	$(Q)d=$(DESTDIR)$(HVM_LIBDIR)/kernel/modules && if [ -f $$d/modules.dep ]; then \
		for m in $$(cut -d: -f1 $$d/modules.dep); do rm -f $$d/$$m; done; fi
	$(Q)rm -f $(foreach f,$(INSTALL_FILES),$(DESTDIR)$(PREFIX)/$(call inst_field,$(f),2)) \
		$(DESTDIR)$(PREFIX)/lib/libhvm.so $(DESTDIR)$(PREFIX)/lib/pkgconfig/hvm.pc \
		$(DESTDIR)$(HVM_LIBDIR)/kernel/modules/modules.dep
	$(Q)for d in $(DESTDIR)$(HVM_LIBDIR) $(DESTDIR)$(PREFIX)/include/hvm; do \
		if [ -d $$d ]; then find $$d -depth -type d -empty -delete; fi; done

# Installs into a temporary DESTDIR, builds against it, boots the installed
# hvm-run from another folder, then uninstalls.
TEST_SUITES += tests/install.sh
