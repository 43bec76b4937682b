// The vector ISA the importing Swift module was compiled for. Swift has no conditional for
// target features, but its Clang importer preprocesses this header with the importing
// module's `-target-cpu`, so the answer is the kernel target's (MLPCore), not the host's.
#ifndef MLPD_KERNEL_ISA_H
#define MLPD_KERNEL_ISA_H

/// Widest x86 vector extension enabled at compile time: 512 (AVX-512F), 256 (AVX2 with FMA),
/// 128 (baseline SSE2), 0 (not x86-64).
static inline int mlpd_compiled_vector_bits(void) {
#if defined(__AVX512F__)
    return 512;
#elif defined(__AVX2__) && defined(__FMA__)
    return 256;
#elif defined(__x86_64__)
    return 128;
#else
    return 0;
#endif
}

#endif
