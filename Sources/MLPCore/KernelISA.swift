internal import CKernel

/// The vector instruction set the kernels of this module were compiled for (release builds name
/// the CPU with `-target-cpu`; see Package.swift). Read from the compiler's own predefined
/// macros through `CKernel`, so it reports what the build did, not what the host offers.
public enum KernelISA {
    /// Widest x86 vector extension enabled when MLPCore was compiled: 512 (AVX-512F), 256
    /// (AVX2 and FMA), 128 (baseline SSE2), 0 (not x86-64).
    public static var compiledVectorBits: Int { Int(mlpd_compiled_vector_bits()) }

    /// Whether the kernels use 512-bit vectors: register tiles of SIMD16 in 32 registers
    /// (AVX-512), else of SIMD8 in 16 (AVX2). Fixed by the build (`-target-cpu`), not the host.
    @inline(__always)
    static var wideVectors: Bool { mlpd_compiled_vector_bits() >= 512 }

    /// `compiledVectorBits` as a name: "AVX-512", "AVX2", "SSE2" or "other".
    public static var compiledName: String {
        switch compiledVectorBits {
        case 512: "AVX-512"
        case 256: "AVX2"
        case 128: "SSE2"
        default: "other"
        }
    }
}
