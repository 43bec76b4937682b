import Foundation
import MLPRuntime

/// The 4-node machine the tests talk about: 2 packages × 2 NUMA nodes × 8 cores × 2
/// PUs; hwloc numbers a core's PUs adjacently (core c has PUs 2c and 2c+1).
let fourNodeSpec = "package:2 numa:2 core:8 pu:2"

/// A hand-built machine, for planning tests that need no hwloc: `packages` × `nodesPerPackage`
/// NUMA nodes (OS indices 0, 1 …) × `coresPerNode` cores × `pusPerCore` PUs.
///
/// - Parameter siblingsApart: number PUs the Linux/Intel way (all cores' first PUs 0 … C-1,
///   then their second PUs C … 2C-1) instead of adjacently.
func handBuiltMachine(
    packages: Int, nodesPerPackage: Int, coresPerNode: Int, pusPerCore: Int, siblingsApart: Bool = false
) -> Topology {
    let nodeCount = packages * nodesPerPackage
    let coreCount = nodeCount * coresPerNode
    var cores: [Topology.Core] = []
    for core in 0..<coreCount {
        let node = core / coresPerNode
        let pus = (0..<pusPerCore).map { siblingsApart ? $0 * coreCount + core : core * pusPerCore + $0 }
        cores.append(Topology.Core(index: core, package: node / nodesPerPackage, numaNode: node, pus: pus))
    }
    let nodes = (0..<nodeCount).map { node in
        Topology.NUMANode(
            index: node, pus: cores.filter { $0.numaNode == node }.flatMap(\.pus).sorted(), memoryBytes: 1 << 34)
    }
    return Topology(
        packages: packages, numaNodes: nodes, cores: cores, allowedPUs: cores.flatMap(\.pus).sorted(),
        source: .synthetic("hand-built"), isThisSystem: false)
}

/// How many workers of a plan sit on each NUMA node, by node OS index.
func workersPerNode(_ plan: PlacementPlan) -> [Int: Int] {
    plan.workers.reduce(into: [:]) { counts, worker in counts[worker.numaNode ?? -1, default: 0] += 1 }
}

/// Parses a CPU list as in `/proc/self/status` (`0-3,8,10-11`).
func parseCPUList(_ text: String) -> [Int] {
    text.split(separator: ",").flatMap { part -> [Int] in
        let bounds = part.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard let first = bounds.first else { return [] }
        return Array(first...(bounds.last ?? first))
    }
}

/// The calling process's CPU affinity as the kernel reports it (`Cpus_allowed_list`).
func processAllowedCPUs() throws -> [Int] {
    let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") } ?? ""
    return parseCPUList(String(line.dropFirst("Cpus_allowed_list:".count)))
}

/// A fresh path under the temporary directory.
func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("mlpd-\(UUID().uuidString)-\(name)").path
}
