# hvm/build.mk - the host launcher hvm-run.
