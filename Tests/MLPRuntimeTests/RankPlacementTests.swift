import Testing
@testable import MLPRuntime

/// Ranks that mpirun bound to the same CPUs split them; overlapping bindings are reported.
@Suite struct RankPlacementTests {
    let machine: Topology
    init() throws { machine = try TopologyLoader.synthetic("package:2 core:4 pu:2") }   // 8 cores, 16 PUs

    @Test func disjointBindingsAreKept() {
        let members = [RankPlacement.Member(host: "a", allowedPUs: Array(0..<8)),
                       RankPlacement.Member(host: "a", allowedPUs: Array(8..<16))]
        for r in 0..<2 {
            let (pus, warnings) = RankPlacement.share(of: r, members: members, topology: machine)
            #expect(pus == members[r].allowedPUs)
            #expect(warnings.isEmpty)
        }
    }

    @Test func ranksWithTheSameSetSplitItByCores() {
        let members = (0..<4).map { _ in RankPlacement.Member(host: "a", allowedPUs: Array(0..<16)) }
        let shares = (0..<4).map { RankPlacement.share(of: $0, members: members, topology: machine) }
        #expect(shares.map(\.pus) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]])
        #expect(shares.allSatisfy { $0.warnings == shares[0].warnings })
        #expect(shares[0].warnings.count == 1 && shares[0].warnings[0].contains("ranks 0, 1, 2, 3 on a were all bound to PUs 0-15"))
    }

    @Test func moreRanksThanCoresTimeShare() {
        let members = (0..<3).map { _ in RankPlacement.Member(host: "a", allowedPUs: [0, 1, 2, 3]) }
        let shares = (0..<3).map { RankPlacement.share(of: $0, members: members, topology: machine).pus }
        #expect(shares == [[0, 1], [2, 3], [0, 1]])
        #expect(RankPlacement.share(of: 0, members: members, topology: machine).warnings[0].contains("time-share"))
    }

    @Test func otherHostsAreNotShared() {
        let members = [RankPlacement.Member(host: "a", allowedPUs: Array(0..<16)),
                       RankPlacement.Member(host: "b", allowedPUs: Array(0..<16))]
        #expect(RankPlacement.share(of: 1, members: members, topology: machine).pus == Array(0..<16))
        #expect(RankPlacement.share(of: 1, members: members, topology: machine).warnings.isEmpty)
    }

    @Test func overlappingBindingsAreAContradiction() {
        let members = [RankPlacement.Member(host: "a", allowedPUs: Array(0..<10)),
                       RankPlacement.Member(host: "a", allowedPUs: Array(8..<16))]
        let (pus, warnings) = RankPlacement.share(of: 1, members: members, topology: machine)
        #expect(pus == Array(8..<16))
        #expect(warnings.count == 1 && warnings[0].contains("ranks 0 and 1 on a are bound to overlapping PU sets"))
    }

    @Test func membersRoundTripAsText() {
        let member = RankPlacement.Member(host: "node-7", allowedPUs: [0, 2, 4])
        #expect(RankPlacement.Member(encoded: member.encoded) == member)
        #expect(RankPlacement.Member(encoded: "no tab") == nil)
    }
}
