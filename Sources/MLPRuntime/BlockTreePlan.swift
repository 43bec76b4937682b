/// Which worker sums which examples, and in what order the partial sums meet: the canonical
/// block tree (`MLPCore.BlockTreeSum`) laid over the workers of one step.
///
/// The m examples of a minibatch form ⌈m / blockSize⌉ blocks. Workers get contiguous, balanced
/// runs of whole blocks (the first `blocks mod T` workers one more). Each worker's run splits
/// into aligned tree nodes, which it sums locally; the upper levels then combine nodes level by
/// level, each sum written into the buffer of its leftmost child. Every number involved depends
/// on (m, blockSize, fanIn) alone except *who* computes it, so the root — the gradient — is the
/// same bytes for any worker count.
public struct BlockTreePlan: Sendable, Equatable {
    /// A node of the tree that a worker computes directly, into buffer `slot` of its own.
    public struct Node: Sendable, Equatable, Hashable {
        public var level: Int
        public var index: Int
        /// The node's examples, relative to the minibatch.
        public var examples: Range<Int>
        public var slot: Int
    }

    /// A buffer: (worker, slot).
    public struct Buffer: Sendable, Equatable, Hashable {
        public var worker: Int
        public var slot: Int
    }

    /// `destination = destination + sources[0] + sources[1] + …`, in that order.
    public struct Combine: Sendable, Equatable {
        public var destination: Buffer
        public var sources: [Buffer]
    }

    public let exampleCount: Int
    public let blockSize: Int
    public let fanIn: Int
    public let blockCount: Int
    /// Per worker: its examples (block-aligned, possibly empty) and the nodes it computes.
    public let examples: [Range<Int>]
    public let nodes: [[Node]]
    /// Combine steps by tree level, bottom up; empty levels left out. A barrier separates levels.
    public let levels: [[Combine]]
    /// The buffer that holds the whole minibatch's sum after the last level.
    public let root: Buffer

    public var workerCount: Int { examples.count }
    /// Node buffers the busiest worker needs.
    public var maxSlots: Int { nodes.map(\.count).max() ?? 0 }

    public init(exampleCount m: Int, blockSize: Int, fanIn f: Int, workers: Int) {
        precondition(m >= 1 && blockSize >= 1 && f >= 2 && workers >= 1)
        exampleCount = m
        self.blockSize = blockSize
        fanIn = f
        let blocks = (m + blockSize - 1) / blockSize
        blockCount = blocks
        var rootLevel = 0, padded = 1
        while padded < blocks { padded *= f; rootLevel += 1 }

        // Balanced contiguous runs of blocks.
        var runs: [Range<Int>] = []
        var start = 0
        for w in 0..<workers {
            let count = blocks / workers + (w < blocks % workers ? 1 : 0)
            runs.append(start..<(start + count))
            start += count
        }
        examples = runs.map { min($0.lowerBound * blockSize, m)..<min($0.upperBound * blockSize, m) }

        // Aligned nodes of each run. A run that reaches the last block may use nodes that reach
        // past it (into absent blocks), up to the padded tree.
        var nodes: [[Node]] = []
        var owner: [Int: [Int: Buffer]] = [:]   // level → index → buffer
        for (w, run) in runs.enumerated() {
            var list: [Node] = []
            var p = run.lowerBound
            let limit = run.upperBound == blocks ? padded : run.upperBound
            while p < run.upperBound {
                var level = 0, span = 1
                while p % (span * f) == 0 && p + span * f <= limit { span *= f; level += 1 }
                let node = Node(level: level, index: p / span,
                                examples: (p * blockSize)..<min((p + span) * blockSize, m), slot: list.count)
                list.append(node)
                owner[level, default: [:]][node.index] = Buffer(worker: w, slot: node.slot)
                p += span
            }
            nodes.append(list)
        }
        self.nodes = nodes

        // Combine bottom-up: each parent's present children, left to right, into the first.
        var levels: [[Combine]] = []
        for level in 0..<rootLevel {
            var combines: [Combine] = []
            let children = (owner[level] ?? [:]).sorted { $0.key < $1.key }
            var i = 0
            while i < children.count {
                let parent = children[i].key / f
                var group: [Buffer] = []
                while i < children.count && children[i].key / f == parent {
                    group.append(children[i].value)
                    i += 1
                }
                precondition(owner[level + 1]?[parent] == nil, "a parent is computed directly and from children")
                owner[level + 1, default: [:]][parent] = group[0]
                if group.count > 1 { combines.append(Combine(destination: group[0], sources: Array(group.dropFirst()))) }
            }
            if !combines.isEmpty { levels.append(combines) }
        }
        self.levels = levels
        root = owner[rootLevel]![0]!
    }
}
