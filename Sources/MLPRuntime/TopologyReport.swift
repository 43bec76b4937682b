import Foundation

/// What `mlpd topology` shows: the machine, which worker runs on which PU, the NUMA node of
/// each worker's buffers, and the reduction tree with the edges that cross NUMA nodes marked.
///
/// `render()` is the text for a terminal; `json()` (or any `Encoder`) is the machine-readable
/// form, with the same three parts as keys `topology`, `plan` and `tree`.
public struct TopologyReport: Sendable, Equatable, Codable {
    /// The machine.
    public var topology: Topology
    /// The placement on it.
    public var plan: PlacementPlan
    /// The reduction tree over the plan's workers.
    public var tree: ReductionTree

    /// Makes a value from its fields (for tests, decoding and hand-built machines).
    public init(topology: Topology, plan: PlacementPlan, tree: ReductionTree) {
        self.topology = topology
        self.plan = plan
        self.tree = tree
    }

    /// Plans `settings` on `topology` and builds the tree with `settings.fanIn`.
    public static func make(topology: Topology, settings: ParallelSettings) throws -> TopologyReport {
        let plan = try PlacementPlan.make(topology: topology, settings: settings)
        return TopologyReport(
            topology: topology, plan: plan, tree: ReductionTree.make(plan: plan, fanIn: settings.fanIn))
    }

    /// Pretty-printed JSON with sorted keys (stable for diffs and tests).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The report as text, ending in a newline.
    public func render() -> String {
        var lines: [String] = []
        renderMachine(into: &lines)
        lines.append("")
        renderPlan(into: &lines)
        lines.append("")
        renderTree(into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Sections

    private func renderMachine(into lines: inout [String]) {
        switch topology.source {
        case .real:
            lines.append(
                topology.isThisSystem
                    ? "Machine: this machine"
                    : "Machine: as HWLOC_SYNTHETIC or HWLOC_XMLFILE describes it (planning only: nothing is bound)"
            )
        case .synthetic(let description):
            lines.append("Machine: synthetic '\(description)' (planning only: nothing is bound)")
        case .xml(let path):
            lines.append("Machine: XML topology '\(path)' (planning only: nothing is bound)")
        }
        if let model = topology.cpuModel { lines.append("CPU: \(model)") }
        let all = topology.allPUs
        lines.append(
            "\(topology.packages) \(plural(topology.packages, "package")), "
                + "\(topology.numaNodes.count) NUMA \(plural(topology.numaNodes.count, "node")), "
                + "\(topology.cores.count) \(plural(topology.cores.count, "core")), \(all.count) PUs")
        let allowed = topology.allowedPUs
        lines.append(
            allowed.count == all.count
                ? "Allowed: all PUs (\(formatCPUList(allowed)))"
                : "Allowed: \(allowed.count) of \(all.count) PUs (\(formatCPUList(allowed)))")
        for node in topology.numaNodes {
            let memory = node.memoryBytes.map { ", \(formatBytes($0))" } ?? ""
            lines.append("  NUMA node \(node.index): PUs \(formatCPUList(node.pus))\(memory)")
        }
        var kinds: [(level: Int, size: UInt64)] = []
        for cache in topology.caches where !kinds.contains(where: { $0 == (cache.level, cache.sizeBytes) }) {
            kinds.append((cache.level, cache.sizeBytes))
        }
        for kind in kinds {
            let sets = topology.caches.filter { $0.level == kind.level && $0.sizeBytes == kind.size }.map(\.pus)
            let sharing =
                sets.count <= 8
                ? "PUs " + sets.map(formatCPUList).joined(separator: " | ")
                : "each shared by \(Set(sets.map(\.count)).sorted().map(String.init).joined(separator: "/")) PUs"
            lines.append("  L\(kind.level) \(formatBytes(kind.size)) ×\(sets.count): \(sharing)")
        }
    }

    private func renderPlan(into lines: inout [String]) {
        let binding =
            plan.bindsThreads
            ? "threads bound to PUs"
            : plan.policy == "none" ? "threads not bound" : "planning only, threads not bound"
        lines.append(
            "Placement: \(plan.policy), smt \(plan.smt ? "on" : "off"), \(plan.workers.count) "
                + "\(plural(plan.workers.count, "worker")) (\(binding))")
        lines.append("  (PU: OS index; core, package: logical index; node: NUMA node of the worker's buffers)")
        let header = ["worker", "PU", "core", "package", "node"]
        let rows = plan.workers.map { worker in
            [String(worker.index)]
                + [worker.pu, worker.core, worker.package, worker.numaNode].map { $0.map(String.init) ?? "-" }
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            lines.append("  " + row.indices.map { pad(row[$0], widths[$0]) }.joined(separator: "  "))
        }
        for warning in plan.warnings { lines.append("warning: \(warning)") }
    }

    private func renderTree(into lines: inout [String]) {
        guard !tree.levels.isEmpty else {
            lines.append("Reduction tree: one worker, nothing to reduce")
            return
        }
        lines.append(
            "Reduction tree: fan-in \(tree.fanIn), \(tree.levels.count) \(plural(tree.levels.count, "level")), "
                + "total in worker \(tree.root) (a <- b: b's sum is added into a; * crosses NUMA nodes)")
        for (number, level) in tree.levels.enumerated() {
            let scope = number < tree.intraNodeLevels ? "within nodes" : "across nodes"
            let groups = level.map { group in
                "\(group.root) <- "
                    + group.edges.map { "\($0.from)\($0.crossesNUMA ? "*" : "")" }.joined(separator: ",")
            }
            lines.append("  level \(number) (\(scope)): " + groups.joined(separator: "  "))
        }
    }

    // MARK: - Formatting

    private func plural(_ count: Int, _ word: String) -> String { count == 1 ? word : word + "s" }

    private func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// Bytes in binary units: `512 KiB`, `1 MiB`, `31.4 GiB`.
    private func formatBytes(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let text = value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
        return "\(text) \(units[unit])"
    }
}
