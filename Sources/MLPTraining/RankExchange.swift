import MLPCore
import MLPRuntime

/// What one process exchanges with the other ranks in a step of a given minibatch size: the
/// plan, the gathered gradient buffer, and the per-block costs and correct counts, all allocated
/// once so that a step allocates nothing.
final class RankExchange {
    let plan: RankExchangePlan
    let mode: RankReduction
    let parameterCount: Int
    /// Deterministic: one slot of `parameterCount` floats per exported node, every rank's.
    /// Allreduce: one slot, this rank's sum and then everyone's.
    let gathered: FloatBuffer
    private let slotCounts: UnsafeMutableBufferPointer<Int32>
    private let slotDisplacements: UnsafeMutableBufferPointer<Int32>
    /// Rank r's block costs then its correct count, for every rank in order.
    private let statistics: UnsafeMutableBufferPointer<Double>
    private let statisticCounts: UnsafeMutableBufferPointer<Int32>
    private let statisticDisplacements: UnsafeMutableBufferPointer<Int32>
    /// This rank's blocks, and where its statistics go.
    let blocks: Range<Int>
    private let statisticsStart: Int

    init(plan: RankExchangePlan, blockPlan: BlockTreePlan, parameterCount: Int, mode: RankReduction) {
        self.plan = plan
        self.mode = mode
        self.parameterCount = parameterCount
        let ranks = plan.ranks
        gathered = FloatBuffer(count: parameterCount * (mode == .deterministic ? max(plan.slotCount, 1) : 1))
        slotCounts = .allocate(capacity: ranks)
        slotDisplacements = .allocate(capacity: ranks)
        for (r, range) in plan.slotRanges.enumerated() {
            slotCounts[r] = Int32(range.count)
            slotDisplacements[r] = Int32(range.lowerBound)
        }
        statistics = .allocate(capacity: blockPlan.blockCount + ranks)
        statistics.initialize(repeating: 0)
        statisticCounts = .allocate(capacity: ranks)
        statisticDisplacements = .allocate(capacity: ranks)
        var start = 0
        var mine = 0..<0
        for r in 0..<ranks {
            let workers = (r * plan.workersPerRank)..<((r + 1) * plan.workersPerRank)
            let first = blockPlan.examples[workers.lowerBound].lowerBound / blockPlan.blockSize
            let last = (blockPlan.examples[workers.upperBound - 1].upperBound + blockPlan.blockSize - 1) / blockPlan.blockSize
            let count = max(0, last - first)
            statisticCounts[r] = Int32(count + 1)
            statisticDisplacements[r] = Int32(start)
            if r == plan.rank { mine = first..<(first + count) }
            start += count + 1
        }
        blocks = mine
        statisticsStart = Int(statisticDisplacements[plan.rank])
    }

    deinit {
        for buffer in [slotCounts, slotDisplacements, statisticCounts, statisticDisplacements] { buffer.deallocate() }
        statistics.deallocate()
    }

    /// The gathered slot of exported buffer `b` (deterministic mode).
    func slot(_ b: BlockTreePlan.Buffer) -> UnsafeMutablePointer<Float> {
        gathered.withUnsafeMutableBufferPointer { $0.baseAddress! } + plan.slots[b]! * parameterCount
    }

    /// Sends this rank's part and receives everyone's: the gradient nodes (or sums) and the
    /// statistics. `costs` are the step's per-block costs, of which this rank filled `blocks`.
    func communicate(_ group: ProcessGroup, costs: UnsafeMutableBufferPointer<Double>, correct: Int) {
        for (i, b) in blocks.enumerated() { statistics[statisticsStart + i] = costs[b] }
        statistics[statisticsStart + blocks.count] = Double(correct)
        let base = gathered.withUnsafeMutableBufferPointer { $0.baseAddress! }
        switch mode {
        case .deterministic:
            group.allGather(base, unit: parameterCount, counts: UnsafeBufferPointer(slotCounts),
                            displacements: UnsafeBufferPointer(slotDisplacements))
        case .allreduce:
            group.allReduceSum(base, count: parameterCount)
        }
        group.allGather(statistics.baseAddress!, counts: UnsafeBufferPointer(statisticCounts),
                        displacements: UnsafeBufferPointer(statisticDisplacements))
    }

    /// The step's cost (block costs added in block order, as in one process) and correct count.
    func gatheredStatistics() -> (cost: Double, correct: Int) {
        var cost = 0.0, correct = 0
        for r in 0..<plan.ranks {
            let start = Int(statisticDisplacements[r]), count = Int(statisticCounts[r])
            for i in start..<(start + count - 1) { cost += statistics[i] }
            correct += Int(statistics[start + count - 1])
        }
        return (cost, correct)
    }
}
