import ArgumentParser
import Foundation
import MLPConfig
import MLPRuntime
import MLPTraining

struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Show the machine as hwloc sees it, the worker placement and the reduction tree.",
        discussion: """
            Plans for another machine: --synthetic "package:2 numa:2 core:8 pu:2" or --xml FILE \
            (from `lstopo --of xml` on that machine). Binding happens only on the real machine. \
            Under mpirun (a build with --traits MPI), rank 0 prints each rank's binding, the CPUs \
            its workers use and warnings about the launch (docs/distributed.md).
            """)

    @Option(help: "A synthetic hwloc topology description.")
    var synthetic: String?

    @Option(help: "An hwloc XML topology file.")
    var xml: String?

    @Option(help: "Worker threads: auto or a number.")
    var threads = "auto"

    @Option(help: "Placement: numa, compact or none.")
    var placement = "numa"

    @Option(help: "Explicit CPU list, e.g. 0,2,4 (replaces --placement).")
    var cpus: String?

    @Flag(help: "Allow SMT siblings.")
    var smt = false

    @Option(help: "Fan-in of the reduction tree.")
    var fanIn = 2

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            guard synthetic == nil || xml == nil else { throw ValidationError("give --synthetic or --xml, not both") }
            let source: Topology.Source = synthetic.map { .synthetic($0) } ?? xml.map { .xml($0) } ?? .real
            let count: ParallelSettings.ThreadCount
            if threads == "auto" { count = .auto } else {
                guard let n = Int(threads), n >= 1 else { throw ValidationError("--threads must be auto or a number ≥ 1 (got '\(threads)')") }
                count = .count(n)
            }
            var where_: ParallelSettings.Placement
            switch placement {
            case "numa": where_ = .numa
            case "compact": where_ = .compact
            case "none": where_ = .none
            default: throw ValidationError("--placement must be numa, compact or none (got '\(placement)')")
            }
            if let cpus {
                let list = cpus.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !list.isEmpty, list.allSatisfy({ $0 != nil && $0! >= 0 }) else {
                    throw ValidationError("--cpus must be a comma-separated list of CPU numbers (got '\(cpus)')")
                }
                where_ = .cpus(list.map { $0! })
            }
            guard fanIn >= 2 else { throw ValidationError("--fan-in must be ≥ 2") }
            let settings = ParallelSettings(threads: count, placement: where_, smt: smt, fanIn: fanIn)
            if source == .real, !json, let group = try Ranks.group(), group.size > 1 {
                if let table = try Ranks.report(group, settings: settings) { print(table, terminator: "") }
                Ranks.finish(group)
                return
            }
            let report = try TopologyReport.make(topology: try TopologyLoader.load(source), settings: settings)
            print(json ? try report.json() : report.render(), terminator: json ? "\n" : "")
            if !json { print(Self.reductionLine(report.plan)) }
        }
    }

    /// What `parallel.reduction: auto` does with this plan inside one process.
    static func reductionLine(_ plan: PlacementPlan) -> String {
        let nodes = Set(plan.workers.compactMap(\.numaNode)).count
        if ParallelConfig.Reduction.auto.sharesBatch(placement: plan, inGroup: false) {
            return "Inside one process, parallel.reduction: auto uses shared (all workers on one NUMA node): they split "
                + "∇W by columns over the whole minibatch; the tree above applies with tree, and across MPI ranks."
        }
        return "Inside one process, parallel.reduction: auto uses the tree above (the workers span \(nodes) NUMA nodes)."
    }
}
