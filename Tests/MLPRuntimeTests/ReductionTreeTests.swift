import MLPRuntime
import Testing

@Suite struct ReductionTreeTests {
    let machine: Topology

    init() throws { machine = try TopologyLoader.synthetic(fourNodeSpec) }

    private func tree(threads: Int, fanIn: Int, placement: ParallelSettings.Placement = .numa) throws -> ReductionTree {
        let plan = try PlacementPlan.make(
            topology: machine, settings: ParallelSettings(threads: .count(threads), placement: placement))
        return ReductionTree.make(plan: plan, fanIn: fanIn)
    }

    /// Each group as its member list, level by level.
    private func shape(_ tree: ReductionTree) -> [[[Int]]] { tree.levels.map { $0.map(\.members) } }

    /// Each group's crossing flags, level by level.
    private func crossings(_ tree: ReductionTree) -> [[Bool]] { tree.levels.map { $0.map(\.crossesNUMA) } }

    @Test func sixteenWorkersFourNodesFanInTwo() throws {
        let tree = try tree(threads: 16, fanIn: 2)
        #expect(
            shape(tree) == [
                [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11], [12, 13], [14, 15]],
                [[0, 2], [4, 6], [8, 10], [12, 14]],
                [[0, 4], [8, 12]],
                [[0, 8]],
            ])
        #expect(tree.intraNodeLevels == 2)
        #expect(
            crossings(tree) == [
                Array(repeating: false, count: 8), Array(repeating: false, count: 4), [true, true], [true],
            ])
        #expect(tree.root == 0)
        #expect(tree.fanIn == 2)
    }

    @Test func sixteenWorkersFourNodesFanInFour() throws {
        let tree = try tree(threads: 16, fanIn: 4)
        #expect(shape(tree) == [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]], [[0, 4, 8, 12]]])
        #expect(tree.intraNodeLevels == 1)
        #expect(crossings(tree) == [[false, false, false, false], [true]])
        #expect(
            tree.levels[1][0].edges == [4, 8, 12].map { ReductionEdge(from: $0, to: 0, crossesNUMA: true) })
    }

    @Test func unevenNodesWaitForTheSlowestBeforeCrossing() throws {
        // 5 workers: node 0 has workers 0 and 1, nodes 1-3 one each.
        let tree = try tree(threads: 5, fanIn: 2)
        #expect(shape(tree) == [[[0, 1]], [[0, 2], [3, 4]], [[0, 3]]])
        #expect(tree.intraNodeLevels == 1)
        #expect(crossings(tree) == [[false], [true, true], [true]])
    }

    @Test func oneWorkerHasNothingToReduce() throws {
        let tree = try tree(threads: 1, fanIn: 2)
        #expect(tree.levels.isEmpty)
        #expect(tree.root == 0)
    }

    @Test func unboundWorkersNeverCross() throws {
        let tree = try tree(threads: 6, fanIn: 2, placement: .none)
        #expect(tree.edges.allSatisfy { !$0.crossesNUMA })
        #expect(tree.intraNodeLevels == tree.levels.count)
        #expect(shape(tree) == [[[0, 1], [2, 3], [4, 5]], [[0, 2]], [[0, 4]]])
    }

    @Test func explicitListsGroupByNodeWhateverTheOrder() throws {
        let plan = try PlacementPlan.make(
            topology: machine, settings: ParallelSettings(placement: .cpus([0, 16, 2, 18])))
        let tree = ReductionTree.make(plan: plan, fanIn: 2)
        #expect(shape(tree) == [[[0, 2], [1, 3]], [[0, 1]]])
        #expect(crossings(tree) == [[false, false], [true]])
    }

    /// Every worker but the root sends exactly once, after it has received everything it will
    /// receive; exactly one edge per extra node crosses NUMA nodes; groups respect the fan-in.
    @Test(arguments: [1, 2, 3, 5, 7, 16, 17, 31, 33, 64, 100], [2, 3, 4, 8])
    func everyWorkerIsReducedExactlyOnce(threads: Int, fanIn: Int) throws {
        let plan = try PlacementPlan.make(
            topology: machine, settings: ParallelSettings(threads: .count(threads), smt: true))
        let tree = ReductionTree.make(plan: plan, fanIn: fanIn)
        var done: Set<Int> = []
        for level in tree.levels {
            for group in level {
                #expect((2...fanIn).contains(group.members.count))
                #expect(group.root == group.members[0])
                #expect(group.members.allSatisfy { !done.contains($0) })
            }
            for group in level { done.formUnion(group.members.dropFirst()) }
        }
        #expect(done == Set(0..<threads).subtracting([tree.root]))
        let nodes = Set(plan.workers.compactMap(\.numaNode)).count
        #expect(tree.edges.filter(\.crossesNUMA).count == nodes - 1)
        #expect(tree.levels.prefix(tree.intraNodeLevels).allSatisfy { $0.allSatisfy { !$0.crossesNUMA } })
    }
}
