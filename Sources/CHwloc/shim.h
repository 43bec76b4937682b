#ifndef MLPD_CHWLOC_SHIM_H
#define MLPD_CHWLOC_SHIM_H
#include <hwloc.h>
/* Hidden from Swift's Glibc module (it needs _GNU_SOURCE, which would change the system headers
   this module shares with Glibc and Dispatch): declared here instead. */
int sched_getcpu(void);
#endif
