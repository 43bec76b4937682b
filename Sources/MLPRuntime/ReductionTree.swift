/// One worker sending its partial gradient to another in a reduction step.
public struct ReductionEdge: Sendable, Equatable, Codable {
    /// The worker whose partial sum is read.
    public var from: Int
    /// The worker that adds it into its own (the group's root).
    public var to: Int
    /// Whether the two workers' buffers are on different NUMA nodes, so the data crosses the
    /// interconnect. False when either worker is unbound.
    public var crossesNUMA: Bool

    public init(from: Int, to: Int, crossesNUMA: Bool) {
        self.from = from
        self.to = to
        self.crossesNUMA = crossesNUMA
    }
}

/// Workers whose partial sums are combined into the first one's in one reduction step.
public struct ReductionGroup: Sendable, Equatable, Codable {
    /// The worker that holds the group's sum afterwards (the first member).
    public var root: Int
    /// The workers of the group, root first, then ascending (2 … fan-in of them).
    public var members: [Int]
    /// One edge per member other than the root, towards the root.
    public var edges: [ReductionEdge]

    /// Makes a group of `members` (root first); `node` gives each worker's NUMA node.
    public init(members: [Int], node: (Int) -> Int?) {
        precondition(members.count >= 2, "a reduction group combines at least two workers")
        root = members[0]
        self.members = members
        edges = members.dropFirst().map { member in
            let from = node(member)
            let to = node(members[0])
            return ReductionEdge(from: member, to: members[0], crossesNUMA: from != nil && to != nil && from != to)
        }
    }

    /// Whether any edge of the group crosses NUMA nodes.
    public var crossesNUMA: Bool { edges.contains { $0.crossesNUMA } }
}

/// The order in which workers' partial gradients are summed: hierarchical, so that workers on
/// one NUMA node reduce among themselves first and only one partial sum per node crosses the
/// interconnect in the later levels.
///
/// A pure function of a plan. Each level is a set of groups that run at the same time; a group
/// of up to `fanIn` workers adds its members' sums into its root. Inside a node the current
/// roots are cut into runs of `fanIn` in worker order; once every node is down to one root, the
/// node roots (ordered by their lowest worker, so nodes of one package are neighbours) are
/// reduced the same way. Workers left alone in a run just wait for the next level. After the
/// last level worker `root` holds the sum.
public struct ReductionTree: Sendable, Equatable, Codable {
    /// Fan-in the tree was made with.
    public var fanIn: Int
    /// Reduction steps in order; level 0 first.
    public var levels: [[ReductionGroup]]
    /// How many leading levels stay inside NUMA nodes; the levels after them cross nodes.
    public var intraNodeLevels: Int
    /// The worker holding the total after the last level.
    public var root: Int

    /// Makes a value from its fields (for tests, decoding and hand-built machines).
    public init(fanIn: Int, levels: [[ReductionGroup]], intraNodeLevels: Int, root: Int) {
        self.fanIn = fanIn
        self.levels = levels
        self.intraNodeLevels = intraNodeLevels
        self.root = root
    }

    /// The tree for a plan's workers. `fanIn` must be at least 2 (`PlacementPlan.make`
    /// validates `parallel.fan_in`).
    public static func make(plan: PlacementPlan, fanIn: Int) -> ReductionTree {
        precondition(fanIn >= 2, "fan-in must be at least 2")
        let nodeOf = Dictionary(uniqueKeysWithValues: plan.workers.map { ($0.index, $0.numaNode) })
        let node: (Int) -> Int? = { nodeOf[$0] ?? nil }

        // Workers per node, nodes in order of their lowest worker.
        var perNode: [[Int]] = []
        var slotOfNode: [Int?: Int] = [:]
        for worker in plan.workers.map(\.index).sorted() {
            if let slot = slotOfNode[node(worker)] {
                perNode[slot].append(worker)
            } else {
                slotOfNode[node(worker)] = perNode.count
                perNode.append([worker])
            }
        }

        var levels: [[ReductionGroup]] = []
        while perNode.contains(where: { $0.count > 1 }) {
            var level: [ReductionGroup] = []
            perNode = perNode.map { reduceOnce($0, fanIn: fanIn, node: node, into: &level) }
            levels.append(level)
        }
        let intraNodeLevels = levels.count
        var roots = perNode.compactMap(\.first)
        while roots.count > 1 {
            var level: [ReductionGroup] = []
            roots = reduceOnce(roots, fanIn: fanIn, node: node, into: &level)
            levels.append(level)
        }
        return ReductionTree(fanIn: fanIn, levels: levels, intraNodeLevels: intraNodeLevels, root: roots.first ?? 0)
    }

    /// Cuts `roots` into runs of `fanIn`, appends a group for each run of two or more, and
    /// returns the runs' roots.
    private static func reduceOnce(
        _ roots: [Int], fanIn: Int, node: (Int) -> Int?, into level: inout [ReductionGroup]
    ) -> [Int] {
        stride(from: 0, to: roots.count, by: fanIn).map { start in
            let run = Array(roots[start..<min(start + fanIn, roots.count)])
            if run.count > 1 { level.append(ReductionGroup(members: run, node: node)) }
            return run[0]
        }
    }

    /// Every edge of the tree, level by level.
    public var edges: [ReductionEdge] { levels.flatMap { $0.flatMap(\.edges) } }
}
