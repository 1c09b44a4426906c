/* SPDX-License-Identifier: MIT */
/* version.h - the product version hvm-run reports. */
#ifndef HVM_VERSION_H
#define HVM_VERSION_H

#include "hvm_abi.h"

#define HVM_VERSION "0.1.0"

#endif
