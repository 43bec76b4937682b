#ifndef MLPD_MALLOC_COUNTER_H
#define MLPD_MALLOC_COUNTER_H
#include <stdint.h>
/* Counts heap allocations of the whole process (test builds only): this library defines
   malloc and friends and forwards to glibc's __libc_* entry points. */
void mlpd_malloc_counter_reset(void);
uint64_t mlpd_malloc_counter_value(void);
#endif
