import Glibc

/// A fixed-size, 64-byte-aligned, zero-initialised block of `Float`s that owns its memory.
///
/// Parameters, gradients, optimizer state and per-batch activations each live in one of these
/// (a "slab"); hot code reaches the memory through `withUnsafe…` once per call, never per element.
public final class FloatBuffer: @unchecked Sendable {
    /// Number of floats.
    public let count: Int
    private let base: UnsafeMutablePointer<Float>

    /// Alignment of the first element: one cache line, which is also one AVX-512 vector.
    public static let alignment = 64

    /// Buffers of at least half this size are rounded up to whole 2 MiB pages, aligned to them
    /// and marked `MADV_HUGEPAGE`: a step of `wide` walks ~10 MiB of weights, activations and
    /// packed blocks, far more than the TLB's reach in 4 KiB pages, and under a hypervisor
    /// every TLB miss is a two-level page walk. Side by side (alternating `mlpd bench` runs of
    /// both builds, five pairs each), small pages took 1–2 % longer on `wide` and `large` at
    /// one and two threads; `small` was unchanged.
    public static let hugePageBytes = 2 << 20

    public init(count: Int) {
        precondition(count >= 0)
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let huge = bytes >= Self.hugePageBytes / 2
        let size = huge ? (bytes + Self.hugePageBytes - 1) / Self.hugePageBytes * Self.hugePageBytes : bytes
        var raw: UnsafeMutableRawPointer?
        // (`fatalError`, not `precondition`: MLPCore's release build is -Ounchecked.)
        guard posix_memalign(&raw, huge ? Self.hugePageBytes : Self.alignment, size) == 0, let raw else {
            fatalError("out of memory allocating \(size) bytes")
        }
        // Advice only: where transparent huge pages are off, the buffer keeps small pages.
        if huge { _ = madvise(raw, size, MADV_HUGEPAGE) }
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            if let address = source.baseAddress { base.update(from: address, count: values.count) }
        }
    }

    deinit { free(base) }

    public func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: base, count: count))
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Sets every element to zero.
    public func zero() { base.update(repeating: 0, count: count) }

    /// Copies all elements from `other`, which must have the same count.
    public func copy(from other: FloatBuffer) {
        precondition(other.count == count)
        base.update(from: other.base, count: count)
    }

    /// The contents as an array (for files, tests and messages; not for hot code).
    public var array: [Float] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Element access for set-up and tests; hot code uses the buffer pointers.
    public subscript(index: Int) -> Float {
        get { precondition(index >= 0 && index < count); return base[index] }
        set { precondition(index >= 0 && index < count); base[index] = newValue }
    }
}
