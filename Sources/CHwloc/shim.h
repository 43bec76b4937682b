#ifndef MLPD_CHWLOC_SHIM_H
#define MLPD_CHWLOC_SHIM_H
#define _GNU_SOURCE
#include <sched.h>
#include <hwloc.h>
/* Hidden from Swift's Glibc module. */
int sched_getcpu(void);
#endif
