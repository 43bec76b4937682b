import Foundation
import MLPRuntime
import Testing

@Suite struct TopologyReportTests {
    @Test func textShowsMachinePlacementAndTree() throws {
        let machine = try TopologyLoader.synthetic("package:2 numa:2(memory=64GiB) l3:1(size=32MiB) core:8 pu:2")
        let report = try TopologyReport.make(topology: machine, settings: ParallelSettings(threads: .count(16)))
        let lines = report.render().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(
            lines.first
                == "Machine: synthetic 'package:2 numa:2(memory=64GiB) l3:1(size=32MiB) core:8 pu:2' (planning only: nothing is bound)"
        )
        #expect(lines.contains("2 packages, 4 NUMA nodes, 32 cores, 64 PUs"))
        #expect(lines.contains("Allowed: all PUs (0-63)"))
        #expect(lines.contains("  NUMA node 2: PUs 32-47, 64 GiB"))
        #expect(lines.contains("  L3 32 MiB ×4: PUs 0-15 | 16-31 | 32-47 | 48-63"))
        #expect(lines.contains("Placement: numa, smt off, 16 workers (planning only, threads not bound)"))
        #expect(lines.contains("  worker  PU  core  package  node"))
        #expect(lines.contains("       5  18     9        0     1"))
        #expect(lines.contains("  level 1 (within nodes): 0 <- 2  4 <- 6  8 <- 10  12 <- 14"))
        #expect(lines.contains("  level 2 (across nodes): 0 <- 4*  8 <- 12*"))
        #expect(lines.contains("  level 3 (across nodes): 0 <- 8*"))
        #expect(!lines.contains { $0.hasPrefix("warning:") })
        #expect(lines.last == "")
    }

    @Test func textListsWarningsAndRestrictions() throws {
        let machine = try TopologyLoader.synthetic("package:1 core:2 pu:2", allowedPUs: [0, 1, 2])
        let report = try TopologyReport.make(
            topology: machine, settings: ParallelSettings(threads: .count(4), placement: .compact, fanIn: 4))
        let text = report.render()
        #expect(text.contains("Allowed: 3 of 4 PUs (0-2)\n"))
        #expect(text.contains("warning: 4 workers for 2 allowed physical cores: 1 worker runs on SMT siblings"))
        #expect(text.contains("warning: 4 workers for 3 allowed PUs: 1 worker shares a PU"))
        #expect(text.contains("  level 0 (within nodes): 0 <- 1,2,3\n"))
    }

    @Test func unboundAndSingleWorkerReports() throws {
        let machine = try TopologyLoader.synthetic("package:1 core:2 pu:1")
        let report = try TopologyReport.make(
            topology: machine, settings: ParallelSettings(threads: .count(1), placement: .none))
        let text = report.render()
        #expect(text.contains("Placement: none, smt off, 1 worker (threads not bound)\n"))
        #expect(text.contains("       0   -     -        -     -\n"))
        #expect(text.contains("Reduction tree: one worker, nothing to reduce\n"))
    }

    @Test func jsonRoundTrips() throws {
        let machine = try TopologyLoader.synthetic(fourNodeSpec, allowedPUs: Array(0..<40))
        let report = try TopologyReport.make(topology: machine, settings: ParallelSettings(threads: .count(22)))
        let json = try report.json()
        #expect(json.contains("\"kind\" : \"synthetic\""))
        #expect(json.contains("\"crossesNUMA\" : true"))
        let decoded = try JSONDecoder().decode(TopologyReport.self, from: Data(json.utf8))
        #expect(decoded == report)
        #expect(decoded.plan.warnings.count == 1)
    }

    @Test func realMachineReportRenders() throws {
        let report = try TopologyReport.make(topology: try TopologyLoader.real(), settings: ParallelSettings())
        let text = report.render()
        #expect(text.hasPrefix("Machine: this machine\n"))
        #expect(text.contains("(threads bound to PUs)"))
        #expect(try JSONDecoder().decode(TopologyReport.self, from: Data(report.json().utf8)) == report)
    }
}
