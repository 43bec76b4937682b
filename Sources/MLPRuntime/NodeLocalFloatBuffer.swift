/// A fixed-size, zero-initialised block of `Float`s placed on one NUMA node, owning its memory.
///
/// A worker's buffers are made once, on the node of the PU it is bound to, so that its reads
/// and writes stay local. Memory comes from `hwloc_alloc_membind` (policy BIND, page-aligned,
/// freed with `hwloc_free`); when that is pointless or refused it falls back to a plain
/// 64-byte-aligned allocation, and `allocation` says which happened and why, so the caller can
/// log one warning. Allocation itself never fails.
///
/// The pages are touched (zeroed) in `init`, so they are placed before the first step.
public final class NodeLocalFloatBuffer: @unchecked Sendable {
    /// How the memory was obtained.
    public enum Allocation: Sendable, Equatable, CustomStringConvertible {
        /// Bound to this NUMA node (OS index) with `hwloc_alloc_membind`.
        case boundToNode(Int)
        /// Plain aligned allocation; `reason` says why the memory was not bound (no node
        /// requested, one-node machine, synthetic or XML machine, or the kernel refused).
        case plain(reason: String)

        public var description: String {
            switch self {
            case .boundToNode(let node): "bound to NUMA node \(node)"
            case .plain(let reason): "plain allocation (\(reason))"
            }
        }
    }

    /// Number of floats.
    public let count: Int
    /// How the memory was obtained.
    public let allocation: Allocation
    private let base: UnsafeMutablePointer<Float>
    private let byteCount: Int
    /// The topology that allocated the memory, when hwloc did; it frees it.
    private let owner: HwlocTopology?

    /// Alignment of plain allocations: one cache line, which is also one AVX-512 vector.
    /// (hwloc allocations are page-aligned.)
    public static let alignment = 64

    /// Allocates `count` floats on NUMA node `numaNode` (OS index, as in
    /// `WorkerPlacement.numaNode`), or plainly when `numaNode` is nil, the machine has one NUMA
    /// node, or binding the memory is refused.
    public convenience init(count: Int, numaNode: Int?) {
        self.init(count: count, numaNode: numaNode, bindOnOneNodeMachine: false)
    }

    /// As the public initialiser; `bindOnOneNodeMachine` lets tests exercise the hwloc path on
    /// a one-node machine.
    init(count: Int, numaNode: Int?, bindOnOneNodeMachine: Bool) {
        precondition(count >= 0, "a buffer cannot have a negative count")
        self.count = count
        byteCount = max(count, 1) * MemoryLayout<Float>.stride

        var reason = "no NUMA node requested"
        var bound: (pointer: UnsafeMutableRawPointer, owner: HwlocTopology, node: Int)?
        if let node = numaNode {
            switch HwlocTopology.machine {
            case .failure(let error):
                reason = "the machine's topology is unavailable: \(error.message)"
            case .success(let machine) where !machine.isThisSystem:
                reason = "hwloc shows a synthetic or XML machine, not this one"
            case .success(let machine) where !machine.numaNodes.contains(node):
                reason = "NUMA node \(node) does not exist (nodes \(formatCPUList(machine.numaNodes)))"
            case .success(let machine) where machine.numaNodes.count == 1 && !bindOnOneNodeMachine:
                reason = "one NUMA node: binding memory gains nothing"
            case .success(let machine):
                switch machine.allocate(byteCount: byteCount, onNode: node) {
                case .success(let pointer): bound = (pointer, machine, node)
                case .failure(let error): reason = error.message
                }
            }
        }

        let raw: UnsafeMutableRawPointer
        if let bound {
            raw = bound.pointer
            owner = bound.owner
            allocation = .boundToNode(bound.node)
        } else {
            raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: Self.alignment)
            owner = nil
            allocation = .plain(reason: reason)
        }
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    deinit {
        if let owner {
            owner.free(UnsafeMutableRawPointer(base), byteCount: byteCount)
        } else {
            base.deallocate()
        }
    }

    /// Calls `body` with the whole buffer.
    public func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: base, count: count))
    }

    /// Calls `body` with the whole buffer, read-only.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// The NUMA nodes (OS indices) that hold the buffer's pages, as the kernel reports them, or
    /// nil if it will not say (for checks and diagnostics, not hot code).
    public func residentNUMANodes() -> [Int]? {
        guard case .success(let machine) = HwlocTopology.machine else { return nil }
        return machine.memoryNodes(of: UnsafeRawPointer(base), byteCount: byteCount)
    }
}
