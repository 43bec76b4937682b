// Software prefetch for the kernels: Swift has no prefetch intrinsic, and a static inline C
// function imported through Clang inlines to the single instruction.
#ifndef MLPD_PREFETCH_H
#define MLPD_PREFETCH_H

/// Starts fetching the cache line at `address` into L2 (`prefetcht1`) without waiting for it:
/// for data the kernel will read or write a few thousand cycles from now.
static inline void mlpd_prefetch_l2(const void *address) {
    __builtin_prefetch(address, 0, 2);
}

#endif
