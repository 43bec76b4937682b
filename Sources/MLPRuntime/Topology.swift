/// A machine as the planner sees it: packages, NUMA nodes, cores, PUs and shared caches, plus the
/// PUs this process may use.
///
/// A plain value with no hwloc inside, so placement planning is a pure function that tests can
/// feed hand-built machines. `TopologyLoader` fills one from hwloc (the real machine, a
/// synthetic description or an XML file).
///
/// Numbering, stated once:
/// - PUs (hardware threads, "CPUs") are **OS indices**: the numbers `taskset`, `/proc/cpuinfo`,
///   systemd `CPUAffinity=` and `parallel.cpus` use.
/// - NUMA nodes are **OS indices**: the numbers `numactl` and systemd `NUMAMask=` use.
/// - Cores and packages are **logical indices** (0, 1, 2 … in hwloc's topology order), because
///   OS core numbers repeat across packages.
public struct Topology: Sendable, Equatable, Codable {
    /// Where a topology came from.
    public enum Source: Sendable, Equatable, Hashable {
        /// The machine this process runs on.
        case real
        /// An hwloc synthetic description such as `package:2 numa:2 core:8 pu:2`.
        case synthetic(String)
        /// An hwloc XML file (e.g. written by `lstopo --of xml` on another server).
        case xml(String)
    }

    /// A NUMA node: a memory bank and the PUs local to it.
    public struct NUMANode: Sendable, Equatable, Codable {
        /// OS index of the node.
        public var index: Int
        /// OS indices of the PUs local to this node, ascending (empty for CPU-less memory).
        public var pus: [Int]
        /// Memory local to the node in bytes, when hwloc knows it.
        public var memoryBytes: UInt64?

        /// Makes a value from its fields (for tests, decoding and hand-built machines).
        public init(index: Int, pus: [Int], memoryBytes: UInt64? = nil) {
            self.index = index
            self.pus = pus
            self.memoryBytes = memoryBytes
        }
    }

    /// A physical core and its PUs (more than one with SMT / hyper-threading).
    public struct Core: Sendable, Equatable, Codable {
        /// Logical index of the core across the machine.
        public var index: Int
        /// Logical index of the package (socket) holding the core.
        public var package: Int
        /// OS index of the NUMA node whose memory is local to the core.
        public var numaNode: Int
        /// OS indices of the core's PUs in hwloc's order (the first is the "primary" PU).
        public var pus: [Int]

        /// Makes a value from its fields (for tests, decoding and hand-built machines).
        public init(index: Int, package: Int, numaNode: Int, pus: [Int]) {
            self.index = index
            self.package = package
            self.numaNode = numaNode
            self.pus = pus
        }
    }

    /// A data or unified cache of level 2 or more and the PUs that share it.
    public struct Cache: Sendable, Equatable, Codable {
        /// Cache level (2 for L2, 3 for L3 …).
        public var level: Int
        /// Capacity in bytes.
        public var sizeBytes: UInt64
        /// OS indices of the PUs sharing this cache, ascending.
        public var pus: [Int]

        /// Makes a value from its fields (for tests, decoding and hand-built machines).
        public init(level: Int, sizeBytes: UInt64, pus: [Int]) {
            self.level = level
            self.sizeBytes = sizeBytes
            self.pus = pus
        }
    }

    /// Number of packages (sockets).
    public var packages: Int
    /// NUMA nodes, by OS index ascending.
    public var numaNodes: [NUMANode]
    /// Physical cores, by logical index ascending.
    public var cores: [Core]
    /// Shared caches (level ≥ 2), by level, then by first PU.
    public var caches: [Cache]
    /// OS indices of the PUs this process may use, ascending: the PUs left after cgroup cpusets,
    /// intersected with the process's CPU affinity (taskset, systemd `CPUAffinity=`).
    public var allowedPUs: [Int]
    /// Where the topology came from.
    public var source: Source
    /// The processor's model name, when hwloc reports one.
    public var cpuModel: String?
    /// Whether the topology describes the machine this process runs on; binding is only done
    /// when it does.
    public var isThisSystem: Bool

    /// Makes a value from its fields (for tests, decoding and hand-built machines).
    public init(
        packages: Int, numaNodes: [NUMANode], cores: [Core], caches: [Cache] = [],
        allowedPUs: [Int], source: Source, cpuModel: String? = nil, isThisSystem: Bool
    ) {
        self.packages = packages
        self.numaNodes = numaNodes
        self.cores = cores
        self.caches = caches
        self.allowedPUs = allowedPUs
        self.source = source
        self.cpuModel = cpuModel
        self.isThisSystem = isThisSystem
    }

    // MARK: - Queries

    /// OS indices of every PU of the machine, allowed or not, ascending.
    public var allPUs: [Int] { cores.flatMap(\.pus).sorted() }

    /// The core holding a PU (OS index), if the PU exists.
    public func core(ofPU pu: Int) -> Core? { cores.first { $0.pus.contains(pu) } }

    /// The same machine with the allowed set narrowed to `pus` (intersected with the current
    /// allowed set), as a cgroup cpuset, `taskset` or `CPUAffinity=` would narrow it.
    public func restricted(toPUs pus: [Int]) -> Topology {
        var copy = self
        let keep = Set(pus)
        copy.allowedPUs = allowedPUs.filter { keep.contains($0) }
        return copy
    }
}

// MARK: - Codable source

extension Topology.Source: Codable {
    private enum CodingKeys: String, CodingKey { case kind, description, path }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "real": self = .real
        case "synthetic": self = .synthetic(try container.decode(String.self, forKey: .description))
        case "xml": self = .xml(try container.decode(String.self, forKey: .path))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "unknown topology source '\(other)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .real:
            try container.encode("real", forKey: .kind)
        case .synthetic(let description):
            try container.encode("synthetic", forKey: .kind)
            try container.encode(description, forKey: .description)
        case .xml(let path):
            try container.encode("xml", forKey: .kind)
            try container.encode(path, forKey: .path)
        }
    }
}

// MARK: - CPU lists

/// Formats OS indices the way `taskset -c`, systemd and hwloc lists do: ascending, with runs
/// collapsed (`[0, 1, 2, 3, 8, 10, 11]` → `"0-3,8,10-11"`); `"none"` when empty.
public func formatCPUList(_ indices: [Int]) -> String {
    let sorted = Array(Set(indices)).sorted()
    guard var start = sorted.first else { return "none" }
    var parts: [String] = []
    var previous = start
    for index in sorted.dropFirst() {
        if index == previous + 1 {
            previous = index
            continue
        }
        parts.append(start == previous ? "\(start)" : "\(start)-\(previous)")
        start = index
        previous = index
    }
    parts.append(start == previous ? "\(start)" : "\(start)-\(previous)")
    return parts.joined(separator: ",")
}
