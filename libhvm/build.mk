# SPDX-License-Identifier: MIT
# libhvm/build.mk - libhvm.so/libhvm.a (exports only hvm.h and hrt.h), hvm.pc, the invoke tests and benchmark, staged into the guest.

LIBHVM_OUT := $(O)/libhvm
LIBHVM_SRCS := libhvm/session.c libhvm/invoke.c libhvm/async.c libhvm/forward.c \
	       libhvm/partner.c libhvm/signals.c libhvm/prof.c libhvm/hrt.c
LIBHVM_OBJS := $(LIBHVM_SRCS:libhvm/%.c=$(LIBHVM_OUT)/%.o)
LIBHVM_HDRS := libhvm/hvm.h libhvm/session.h libhvm/invoke.h libhvm/async.h \
	       libhvm/forward.h libhvm/partner.h libhvm/signals.h libhvm/prof.h include/hvm_prof.h include/hvm_abi.h \
	       include/hvm_chan.h include/hvm_uapi.h include/hvm_layout.h include/hvm_tsc.h \
	       include/hrt.h include/hvm_api.h
# No stack protector: partner threads run on HRT threads' TLS.
LIBHVM_CFLAGS := $(HOST_CFLAGS) -Ilibhvm -fPIC -fvisibility=hidden -pthread \
		 -fno-stack-protector
# The soname's number changes only with an incompatible change to hvm.h's
# functions (libhvm.map's HVM_1.0); programs record libhvm.so.1.  The
# unversioned libhvm.so is the link-time symlink (-lhvm).
LIBHVM_SONAME := libhvm.so.1
LIBHVM_SO_REAL := $(LIBHVM_OUT)/$(LIBHVM_SONAME)
LIBHVM_SO := $(LIBHVM_OUT)/libhvm.so
LIBHVM_A := $(LIBHVM_OUT)/libhvm.a
LIBHVM_PC := $(LIBHVM_OUT)/hvm.pc
LIBHVM_STAGED := $(O)/guest/usr/lib/$(LIBHVM_SONAME)
# Guest programs linked with libhvm.so find it beside them as well: in a
# --host-root guest the guest tree is at /run/hvm, off the loader's path.
LIBHVM_RPATH := -Wl,-rpath,'$$ORIGIN/../lib'

# $(call libhvm_pc,PREFIX,INCLUDEDIR,LIBDIR,EXTRA_CFLAGS): the command that
# prints hvm.pc (here for the build tree, in install.mk for make install).
libhvm_pc = sed -e 's|@PREFIX@|$(1)|' -e 's|@INCLUDEDIR@|$(2)|' -e 's|@LIBDIR@|$(3)|' \
	-e 's|@EXTRA_CFLAGS@|$(4)|' \
	-e "s|@VERSION@|$$(sed -n 's/.*HVM_ABI_VERSION \([0-9]*\)u.*/\1/p' include/hvm_abi.h).0|" \
	libhvm/hvm.pc.in

$(LIBHVM_OUT)/%.o: libhvm/%.c $(LIBHVM_HDRS)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(LIBHVM_CFLAGS) -c $< -o $@

$(LIBHVM_SO_REAL): $(LIBHVM_OBJS) libhvm/libhvm.map
	$(call quiet,LD,$@)
	$(Q)$(CC) -shared -pthread -Wl,--version-script=libhvm/libhvm.map \
		-Wl,-soname,$(LIBHVM_SONAME) $(LIBHVM_OBJS) -o $@

$(LIBHVM_SO): $(LIBHVM_SO_REAL)
	$(call quiet,LN,$@)
	$(Q)ln -sfn $(LIBHVM_SONAME) $@

$(LIBHVM_A): $(LIBHVM_OBJS)
	$(call quiet,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBHVM_PC): libhvm/hvm.pc.in libhvm/build.mk
	@mkdir -p $(@D)
	$(call quiet,GEN,$@)
	$(Q)$(call libhvm_pc,$(abspath .),$(abspath libhvm),$(abspath $(LIBHVM_OUT)), -I$${prefix}/include) \
		> $@

# Staged under its soname, the name programs ask for (the initramfs composer
# copies regular files only); a libhvm.so from older builds is dropped.
$(LIBHVM_STAGED): $(LIBHVM_SO_REAL)
	$(call quiet,STAGE,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $(@D)/libhvm.so
	$(Q)cp $< $@

ALL_TARGETS += $(LIBHVM_SO) $(LIBHVM_A) $(LIBHVM_PC) $(LIBHVM_STAGED)
DEPS += $(LIBHVM_OBJS:.o=.d)

.PHONY: libhvm
libhvm: $(LIBHVM_STAGED) $(LIBHVM_A) $(LIBHVM_PC)
