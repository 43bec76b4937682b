/// How the canonical block tree of one step splits between processes (MPI ranks), so that the
/// gradient is the same bytes as in one process with any number of ranks.
///
/// The step's `BlockTreePlan` is laid over all `ranks × workersPerRank` workers; rank r runs
/// global workers r·T ..< (r+1)·T, so it owns a contiguous run of blocks. A tree node whose
/// examples all belong to one rank is summed there (`localLevels`, before any communication).
/// Every rank then contributes its largest such nodes — those whose parent spans several ranks —
/// (`exports`); all ranks gather all contributions (`MPI_Allgatherv`) and run the remaining
/// combines (`globalLevels`) identically, each on its own copy, in the tree's order. Every rank
/// thus ends with the same root, the same update and the same weights.
public struct RankExchangePlan: Sendable, Equatable {
    public let rank: Int
    public let ranks: Int
    public let workersPerRank: Int
    /// This rank's combines of nodes that lie inside it, bottom up (same shape as
    /// `BlockTreePlan.levels`).
    public let localLevels: [[BlockTreePlan.Combine]]
    /// The buffers each rank contributes, in rank order and in tree order within a rank;
    /// contribution k (counting over all ranks) sits in slot k of the gathered buffer.
    public let exports: [[BlockTreePlan.Buffer]]
    /// The combines that join nodes of different ranks, bottom up; their buffers are all
    /// exported, so every rank runs them on its gathered copy.
    public let globalLevels: [[BlockTreePlan.Combine]]
    /// The root's buffer (exported when there is more than one rank).
    public let root: BlockTreePlan.Buffer

    /// Slot of each exported buffer in the gathered buffer.
    public let slots: [BlockTreePlan.Buffer: Int]
    /// The first slot of each rank's contributions, and their count (for `MPI_Allgatherv`).
    public var slotRanges: [Range<Int>] {
        var start = 0
        return exports.map { list in
            defer { start += list.count }
            return start..<(start + list.count)
        }
    }
    public var slotCount: Int { exports.reduce(0) { $0 + $1.count } }

    /// The global worker index of local worker `t`.
    public func globalWorker(_ t: Int) -> Int { rank * workersPerRank + t }
    /// The rank that runs global worker `w`.
    public func rank(ofWorker w: Int) -> Int { w / workersPerRank }

    public init(plan: BlockTreePlan, rank: Int, ranks: Int) {
        precondition(ranks >= 1 && rank >= 0 && rank < ranks && plan.workerCount % ranks == 0)
        self.rank = rank
        self.ranks = ranks
        let perRank = plan.workerCount / ranks
        workersPerRank = perRank
        func owner(_ b: BlockTreePlan.Buffer) -> Int { b.worker / perRank }

        // A buffer is "global" once a combine has added another rank's node into it (or into
        // one of the nodes it holds); local combines touch only untainted buffers of one rank.
        var global = Set<BlockTreePlan.Buffer>()
        var exported: [[BlockTreePlan.Buffer]] = Array(repeating: [], count: ranks)
        var exportedSet = Set<BlockTreePlan.Buffer>()
        func export(_ b: BlockTreePlan.Buffer) {
            guard !global.contains(b), exportedSet.insert(b).inserted else { return }
            exported[owner(b)].append(b)
        }
        var local: [[BlockTreePlan.Combine]] = []
        var remote: [[BlockTreePlan.Combine]] = []
        for level in plan.levels {
            var localHere: [BlockTreePlan.Combine] = []
            var remoteHere: [BlockTreePlan.Combine] = []
            for combine in level {
                let operands = [combine.destination] + combine.sources
                let isLocal = operands.allSatisfy { owner($0) == owner(combine.destination) && !global.contains($0) }
                if isLocal {
                    if owner(combine.destination) == rank { localHere.append(combine) }
                } else {
                    operands.forEach(export)
                    global.insert(combine.destination)
                    remoteHere.append(combine)
                }
            }
            if !localHere.isEmpty { local.append(localHere) }
            if !remoteHere.isEmpty { remote.append(remoteHere) }
        }
        if ranks > 1 { export(plan.root) }
        localLevels = local
        globalLevels = remote
        exports = exported.map { $0.sorted { ($0.worker, $0.slot) < ($1.worker, $1.slot) } }
        root = plan.root
        var slots: [BlockTreePlan.Buffer: Int] = [:]
        for (k, buffer) in exports.joined().enumerated() { slots[buffer] = k }
        self.slots = slots
    }
}
