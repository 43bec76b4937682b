/// Where one worker runs and where its buffers live.
public struct WorkerPlacement: Sendable, Equatable, Codable {
    /// Worker number, 0 ..< plan size. Workers sharing a NUMA node have consecutive numbers
    /// under `numa` and `compact`.
    public var index: Int
    /// OS index of the PU the worker is bound to; nil under `placement: none`.
    public var pu: Int?
    /// Logical index of the core holding `pu`.
    public var core: Int?
    /// Logical index of the package holding `pu`.
    public var package: Int?
    /// OS index of the NUMA node for the worker's buffers (the node local to `pu`); nil when
    /// the worker is not bound.
    public var numaNode: Int?

    /// Makes a value from its fields (for tests, decoding and hand-built machines).
    public init(index: Int, pu: Int?, core: Int?, package: Int?, numaNode: Int?) {
        self.index = index
        self.pu = pu
        self.core = core
        self.package = package
        self.numaNode = numaNode
    }
}

/// Which worker runs on which PU: a pure function of a `Topology` and `ParallelSettings`, so
/// plans for any machine can be computed and tested without hwloc.
///
/// A count larger than the machine is never clamped or refused: with `smt: false`, workers
/// beyond the allowed physical cores go on SMT siblings, then beyond the allowed PUs they are
/// oversubscribed round-robin over the same order, and each of those steps adds a warning.
public struct PlacementPlan: Sendable, Equatable, Codable {
    /// The workers, by index.
    public var workers: [WorkerPlacement]
    /// Things the user should know (SMT siblings used with `smt: false`, oversubscription);
    /// each is one sentence for a log line.
    public var warnings: [String]
    /// The placement policy's config spelling (`numa`, `compact`, `none`, `cpus`).
    public var policy: String
    /// Whether SMT siblings were allowed by the settings.
    public var smt: Bool
    /// Whether workers are to be bound: a binding policy on the machine this process runs on.
    /// False for `placement: none` and for synthetic or XML topologies (planning only).
    public var bindsThreads: Bool

    /// Makes a value from its fields (for tests, decoding and hand-built machines).
    public init(workers: [WorkerPlacement], warnings: [String], policy: String, smt: Bool, bindsThreads: Bool) {
        self.workers = workers
        self.warnings = warnings
        self.policy = policy
        self.smt = smt
        self.bindsThreads = bindsThreads
    }

    /// Plans `settings` on `topology`, using only its allowed PUs.
    ///
    /// Throws `RuntimeError` naming the key at fault: `parallel.threads` below 1 or not matching
    /// an explicit CPU list, `parallel.fan_in` below 2, `parallel.cpus` empty or naming a CPU
    /// that does not exist, is not allowed or is listed twice; `.noAllowedCPUs` when the
    /// allowed set is empty.
    public static func make(topology: Topology, settings: ParallelSettings) throws -> PlacementPlan {
        guard settings.fanIn >= 2 else {
            throw RuntimeError(.invalidSettings, "parallel.fan_in: must be at least 2, got \(settings.fanIn)")
        }
        if case .count(let count) = settings.threads, count < 1 {
            throw RuntimeError(.invalidSettings, "parallel.threads: must be at least 1 or auto, got \(count)")
        }
        let allowed = Set(topology.allowedPUs)
        let cores = topology.cores.compactMap { core -> Topology.Core? in
            var usable = core
            usable.pus = core.pus.filter { allowed.contains($0) }
            return usable.pus.isEmpty ? nil : usable
        }
        guard !cores.isEmpty else {
            throw RuntimeError(
                .noAllowedCPUs,
                "no CPU of this machine is allowed for this process (check taskset, systemd CPUAffinity= "
                    + "and the cgroup cpuset)")
        }
        let puCount = cores.reduce(0) { $0 + $1.pus.count }
        let binds = topology.isThisSystem

        switch settings.placement {
        case .cpus(let list):
            return try explicit(list, topology: topology, settings: settings, binds: binds)
        case .none:
            let count = workerCount(settings, cores: cores.count, pus: puCount)
            var warnings: [String] = []
            if count > puCount {
                warnings.append(
                    "\(count) workers for \(puCount) allowed PUs: the machine is oversubscribed and workers "
                        + "will time-share PUs")
            }
            let workers = (0..<count).map {
                WorkerPlacement(index: $0, pu: nil, core: nil, package: nil, numaNode: nil)
            }
            return PlacementPlan(
                workers: workers, warnings: warnings, policy: "none", smt: settings.smt, bindsThreads: false)
        case .numa, .compact:
            let order =
                settings.placement == .numa
                ? spreadOrder(cores) : compactOrder(cores, siblingsTogether: settings.smt)
            let count = workerCount(settings, cores: cores.count, pus: puCount)
            // Rank k takes the k-th slot (wrapping when oversubscribed); workers are then
            // numbered node by node so that a node's workers are consecutive.
            let ranked = (0..<count).map { (rank: $0, slot: order[$0 % order.count]) }
                .sorted { ($0.slot.numaNode, $0.rank) < ($1.slot.numaNode, $1.rank) }
            let workers = ranked.enumerated().map { index, entry in
                WorkerPlacement(
                    index: index, pu: entry.slot.pu, core: entry.slot.core, package: entry.slot.package,
                    numaNode: entry.slot.numaNode)
            }
            return PlacementPlan(
                workers: workers,
                warnings: capacityWarnings(count: count, cores: cores.count, pus: puCount, smt: settings.smt),
                policy: settings.placement.name, smt: settings.smt, bindsThreads: binds)
        }
    }

    // MARK: - Orders of PUs

    /// One PU a worker can take.
    private struct Slot {
        var pu: Int
        var core: Int
        var package: Int
        var numaNode: Int
    }

    private static func slot(_ core: Topology.Core, tier: Int) -> Slot {
        Slot(pu: core.pus[tier], core: core.index, package: core.package, numaNode: core.numaNode)
    }

    /// `numa`: every core's first PU before any core's second (tiers). Within a tier the next
    /// worker goes to the node with the fewest workers so far among those with a free PU in the
    /// tier, ties broken round-robin (the turn carrying over between tiers). On equal nodes this
    /// is plain round-robin; on nodes with different numbers of allowed cores it keeps the
    /// shares as even as the cores allow.
    private static func spreadOrder(_ cores: [Topology.Core]) -> [Slot] {
        let nodes = Set(cores.map(\.numaNode)).sorted()
        let tiers = cores.map(\.pus.count).max() ?? 0
        var order: [Slot] = []
        var assigned = Array(repeating: 0, count: nodes.count)
        var turn = 0
        for tier in 0..<tiers {
            let queues = nodes.map { node in
                cores.filter { $0.numaNode == node && $0.pus.count > tier }.map { slot($0, tier: tier) }
            }
            var next = Array(repeating: 0, count: nodes.count)
            for _ in 0..<queues.reduce(0, { $0 + $1.count }) {
                // Candidates in round-robin order from the current turn; the first with the
                // fewest workers wins.
                let candidates = (0..<nodes.count).map { (turn + $0) % nodes.count }.filter {
                    next[$0] < queues[$0].count
                }
                let node = candidates.min { assigned[$0] < assigned[$1] }!
                order.append(queues[node][next[node]])
                next[node] += 1
                assigned[node] += 1
                turn = node + 1
            }
        }
        return order
    }

    /// `compact`: nodes in order, cores in order. With SMT allowed a core's PUs are taken
    /// together; without, every core's first PU comes before any sibling.
    private static func compactOrder(_ cores: [Topology.Core], siblingsTogether: Bool) -> [Slot] {
        let sorted = cores.sorted { ($0.numaNode, $0.index) < ($1.numaNode, $1.index) }
        if siblingsTogether {
            return sorted.flatMap { core in core.pus.indices.map { slot(core, tier: $0) } }
        }
        let tiers = cores.map(\.pus.count).max() ?? 0
        return (0..<tiers).flatMap { tier in sorted.filter { $0.pus.count > tier }.map { slot($0, tier: tier) } }
    }

    // MARK: - Counts and warnings

    private static func workerCount(_ settings: ParallelSettings, cores: Int, pus: Int) -> Int {
        switch settings.threads {
        case .auto: settings.smt ? pus : cores
        case .count(let count): count
        }
    }

    private static func capacityWarnings(count: Int, cores: Int, pus: Int, smt: Bool) -> [String] {
        var warnings: [String] = []
        let onSiblings = min(count, pus) - cores
        if !smt && onSiblings > 0 {
            warnings.append(
                "\(count) workers for \(cores) allowed physical cores: \(onSiblings) "
                    + (onSiblings == 1 ? "worker runs" : "workers run")
                    + " on SMT siblings of busy cores although smt is false (set smt: true to plan for "
                    + "this, or use fewer threads)")
        }
        if count > pus {
            let extra = count - pus
            warnings.append(
                "\(count) workers for \(pus) allowed PUs: \(extra) "
                    + (extra == 1 ? "worker shares a PU" : "workers share PUs")
                    + " with another worker (oversubscribed; steps will be slower)")
        }
        return warnings
    }

    // MARK: - Explicit CPU list

    private static func explicit(
        _ list: [Int], topology: Topology, settings: ParallelSettings, binds: Bool
    ) throws -> PlacementPlan {
        guard !list.isEmpty else {
            throw RuntimeError(.invalidSettings, "parallel.cpus: the list is empty; name at least one CPU")
        }
        if case .count(let count) = settings.threads, count != list.count {
            throw RuntimeError(
                .invalidSettings,
                "parallel.threads: \(count) does not match the \(list.count) CPUs in parallel.cpus "
                    + "(use threads: auto, or list \(count) CPUs)")
        }
        let all = Set(topology.allPUs)
        let allowed = Set(topology.allowedPUs)
        var seen: Set<Int> = []
        var workers: [WorkerPlacement] = []
        var warnings: [String] = []
        var firstOnCore: [Int: Int] = [:]
        for (index, cpu) in list.enumerated() {
            guard all.contains(cpu) else {
                throw RuntimeError(
                    .invalidCPU,
                    "parallel.cpus: CPU \(cpu) does not exist on this machine (PUs \(formatCPUList(topology.allPUs)))")
            }
            guard allowed.contains(cpu) else {
                throw RuntimeError(
                    .invalidCPU,
                    "parallel.cpus: CPU \(cpu) is not in the set this process may use "
                        + "(allowed: \(formatCPUList(topology.allowedPUs)); see taskset, CPUAffinity= or the cgroup cpuset)"
                )
            }
            guard seen.insert(cpu).inserted else {
                throw RuntimeError(.invalidCPU, "parallel.cpus: CPU \(cpu) is listed twice")
            }
            // Every existing PU belongs to a core: `allPUs` is made of the cores' PUs.
            let core = topology.core(ofPU: cpu)!
            if let sibling = firstOnCore[core.index], !settings.smt {
                warnings.append(
                    "parallel.cpus: CPUs \(sibling) and \(cpu) are SMT siblings on core \(core.index) although smt is false"
                )
            } else if firstOnCore[core.index] == nil {
                firstOnCore[core.index] = cpu
            }
            workers.append(
                WorkerPlacement(index: index, pu: cpu, core: core.index, package: core.package, numaNode: core.numaNode)
            )
        }
        return PlacementPlan(
            workers: workers, warnings: warnings, policy: "cpus", smt: settings.smt, bindsThreads: binds)
    }
}
