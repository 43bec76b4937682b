import Foundation
import MLPCore
import Testing
@testable import MLPRuntime

/// Local combines on each rank, the exchange of the exported nodes, then the global combines on
/// every rank's own copy: the root equals the one-process canonical sum to the bit.
@Suite struct RankExchangePlanTests {
    let trees = BlockTreePlanTests()

    @Test(arguments: [(256, 16, 2), (100, 16, 2), (37, 4, 3), (512, 16, 4), (16, 16, 2), (1000, 7, 2), (32, 16, 2)])
    func ranksReachTheSerialSum(m: Int, blockSize: Int, fanIn: Int) {
        let width = 11
        var random = SeededGenerator(seed: UInt64(m) &* 31)
        let values = (0..<(m * width)).map { _ in Float((random.nextUnitDouble() * 2 - 1) * pow(10, random.nextUnitDouble() * 6 - 3)) }
        let serial = trees.nodeSum(values, 0..<m, width: width, blockSize: blockSize, fanIn: fanIn)
        for ranks in 1...5 {
            for perRank in 1...3 {
                let plan = BlockTreePlan(exampleCount: m, blockSize: blockSize, fanIn: fanIn, workers: ranks * perRank)
                let exchanges = (0..<ranks).map { RankExchangePlan(plan: plan, rank: $0, ranks: ranks) }
                #expect(exchanges.allSatisfy { $0.exports == exchanges[0].exports && $0.globalLevels == exchanges[0].globalLevels })
                // Each rank: its workers' nodes, then its local combines.
                var gathered = [[Float]](repeating: [], count: exchanges[0].slotCount)
                for (r, exchange) in exchanges.enumerated() {
                    var buffers: [BlockTreePlan.Buffer: [Float]] = [:]
                    for t in 0..<perRank {
                        let w = exchange.globalWorker(t)
                        for node in plan.nodes[w] {
                            buffers[.init(worker: w, slot: node.slot)] = trees.nodeSum(values, node.examples, width: width,
                                                                                      blockSize: blockSize, fanIn: fanIn)
                        }
                    }
                    for combine in exchange.localLevels.joined() {
                        #expect(([combine.destination] + combine.sources).allSatisfy { exchange.rank(ofWorker: $0.worker) == r })
                        add(combine, &buffers)
                    }
                    for buffer in exchange.exports[r] { gathered[exchange.slots[buffer]!] = buffers[buffer]! }
                }
                // Every rank: the global combines on its copy of the gathered slots.
                for exchange in exchanges {
                    var copy: [BlockTreePlan.Buffer: [Float]] = [:]
                    for (buffer, slot) in exchange.slots { copy[buffer] = gathered[slot] }
                    for combine in exchange.globalLevels.joined() { add(combine, &copy) }
                    let root = ranks == 1 && exchange.slots.isEmpty ? nil : copy[exchange.root]
                    if ranks > 1 {
                        #expect(root?.map(\.bitPattern) == serial.map(\.bitPattern), "\(ranks) ranks × \(perRank)")
                    } else {
                        #expect(exchange.globalLevels.isEmpty && exchange.slotCount == 0)
                        #expect(exchange.localLevels == plan.levels)
                    }
                }
            }
        }
    }

    @Test func twoRanksExchangeOneNodeEach() {
        let plan = BlockTreePlan(exampleCount: 256, blockSize: 16, fanIn: 2, workers: 4)
        let exchange = RankExchangePlan(plan: plan, rank: 1, ranks: 2)
        #expect(exchange.exports == [[.init(worker: 0, slot: 0)], [.init(worker: 2, slot: 0)]])
        #expect(exchange.localLevels == [[.init(destination: .init(worker: 2, slot: 0), sources: [.init(worker: 3, slot: 0)])]])
        #expect(exchange.globalLevels.count == 1)
        #expect(exchange.slotRanges == [0..<1, 1..<2])
    }

    private func add(_ combine: BlockTreePlan.Combine, _ buffers: inout [BlockTreePlan.Buffer: [Float]]) {
        var sum = buffers[combine.destination]!
        for source in combine.sources {
            let s = buffers[source]!
            for i in sum.indices { sum[i] += s[i] }
        }
        buffers[combine.destination] = sum
    }
}
