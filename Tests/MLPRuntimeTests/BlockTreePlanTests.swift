import MLPCore
import Testing
@testable import MLPRuntime

/// The reduction over workers equals the canonical serial sum to the bit, for any worker count.
@Suite struct BlockTreePlanTests {
    /// Sums rows `range` of `values` [rows × width] as one canonical node (what one worker does).
    func nodeSum(_ values: [Float], _ range: Range<Int>, width: Int, blockSize: Int, fanIn: Int) -> [Float] {
        var out = [Float](repeating: 0, count: width)
        let scratch = FloatBuffer(count: BlockTreeSum.columnScratchCount(width: width))
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { s in
                    BlockTreeSum.columnSums(o.baseAddress!, of: v.baseAddress! + range.lowerBound * width, rows: range.count,
                                            width: width, blockSize: blockSize, fanIn: fanIn, scratch: s.baseAddress!)
                }
            }
        }
        return out
    }

    @Test(arguments: [(256, 16, 2), (100, 16, 2), (37, 4, 3), (512, 16, 4), (16, 16, 2), (1000, 7, 2)])
    func reductionEqualsTheSerialSum(m: Int, blockSize: Int, fanIn: Int) {
        let width = 19
        var random = SeededGenerator(seed: UInt64(m))
        let values = (0..<(m * width)).map { _ in Float(random.nextUnitDouble() * 2 - 1) }
        let serial = nodeSum(values, 0..<m, width: width, blockSize: blockSize, fanIn: fanIn)
        for workers in 1...9 {
            let plan = BlockTreePlan(exampleCount: m, blockSize: blockSize, fanIn: fanIn, workers: workers)
            // Shares cover the batch once, in order, on block boundaries.
            #expect(plan.examples.map(\.count).reduce(0, +) == m)
            #expect(zip(plan.examples, plan.examples.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(plan.examples.allSatisfy { $0.isEmpty || $0.lowerBound % blockSize == 0 })
            let sizes = plan.examples.map { ($0.count + blockSize - 1) / blockSize }
            #expect(sizes.max()! - sizes.min()! <= 1, "balanced")
            // Each worker's nodes, then the combine levels.
            var buffers: [BlockTreePlan.Buffer: [Float]] = [:]
            for (w, nodes) in plan.nodes.enumerated() {
                #expect(nodes.map(\.examples.count).reduce(0, +) == plan.examples[w].count)
                for node in nodes {
                    buffers[.init(worker: w, slot: node.slot)] = nodeSum(values, node.examples, width: width,
                                                                          blockSize: blockSize, fanIn: fanIn)
                }
            }
            for level in plan.levels {
                for combine in level {
                    var sum = buffers[combine.destination]!
                    for source in combine.sources {
                        let s = buffers[source]!
                        for i in 0..<width { sum[i] += s[i] }
                    }
                    buffers[combine.destination] = sum
                }
            }
            #expect(buffers[plan.root]!.map(\.bitPattern) == serial.map(\.bitPattern), "\(workers) workers")
        }
    }

    @Test func powerOfTwoWorkersEachComputeOneNode() {
        let plan = BlockTreePlan(exampleCount: 256, blockSize: 16, fanIn: 2, workers: 4)
        #expect(plan.nodes.allSatisfy { $0.count == 1 && $0[0].level == 2 })
        #expect(plan.levels.count == 2)               // 4 → 2 → 1
        #expect(plan.root == .init(worker: 0, slot: 0))
    }

    @Test func moreWorkersThanBlocksLeavesSomeIdle() {
        let plan = BlockTreePlan(exampleCount: 32, blockSize: 16, fanIn: 2, workers: 5)
        #expect(plan.examples.filter { !$0.isEmpty }.count == 2)
        #expect(plan.nodes[2].isEmpty && plan.nodes[4].isEmpty)
    }
}
