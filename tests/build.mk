# tests/build.mk - hosted unit tests (cmocka) and the whole-VM integration suite.
