#ifndef MLPD_MALLOC_COUNTER_H
#define MLPD_MALLOC_COUNTER_H
#include <stdint.h>
/* Counts heap allocations of the whole process (test builds only): this library defines
   malloc and friends and forwards to glibc's __libc_* entry points. */
void mlpd_malloc_counter_reset(void);
/* Counts allocations of the calling thread (on != 0) or stops counting them. */
void mlpd_malloc_counter_arm(int on);
uint64_t mlpd_malloc_counter_value(void);
#endif
