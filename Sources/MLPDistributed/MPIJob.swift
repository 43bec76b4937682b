#if MPI
import Foundation
import MLPRuntime
import MLPTraining

/// What a training command does differently under `mpirun`: where this rank's workers may run,
/// and one checkpoint for all ranks.
public enum MPIJob {
    /// This rank's machine: the real topology, with the allowed set `mpirun` gave this process,
    /// split with the other ranks on the host that got the same set (`RankPlacement`). The
    /// warnings are the same on every rank; rank 0 prints them.
    public static func rankTopology(_ group: MPIProcessGroup) throws -> (topology: Topology, warnings: [String]) {
        let topology = try TopologyLoader.real()
        let me = RankPlacement.Member(host: MPIProcessGroup.processorName, allowedPUs: topology.allowedPUs)
        let members = group.allGather(bytes: Array(me.encoded.utf8)).map {
            RankPlacement.Member(encoded: String(decoding: $0, as: UTF8.self))!
        }
        let (pus, warnings) = RankPlacement.share(of: group.rank, members: members, topology: topology)
        return (topology.restricted(toPUs: pus), warnings)
    }

    /// The newest usable checkpoint of `store` for `configHash`, found and read by rank 0 and
    /// sent to every rank (the run directory need not be shared). Rank 0 also gets the
    /// checkpoints it skipped as unreadable or foreign.
    public static func sharedCheckpoint(_ group: MPIProcessGroup, store: CheckpointStore, configHash: String) throws
        -> (checkpoint: Checkpoint, path: String, skipped: [String])?
    {
        var path = "", bytes: [UInt8] = [], skipped: [String] = []
        if group.rank == 0, let latest = store.latest(configHash: configHash) {
            path = latest.path
            bytes = try PosixFile.readAll(path: latest.path)
            skipped = latest.skipped
        }
        path = String(decoding: group.broadcast(Array(path.utf8), root: 0), as: UTF8.self)
        bytes = group.broadcast(bytes, root: 0)
        guard !path.isEmpty else { return nil }
        return (try Checkpoint.parse(bytes: bytes, path: path), path, skipped)
    }
}
#endif

#if MPI
extension MPIJob {
    /// `mlpd topology` under mpirun: on rank 0, one line per rank — host, the PUs mpirun bound
    /// it to, the share mlpd uses, and its workers' PUs and NUMA nodes — then every warning
    /// about the launch (ranks sharing or overlapping CPUs, more workers than PUs). Nil on the
    /// other ranks.
    public static func rankReport(_ group: MPIProcessGroup, settings: ParallelSettings) throws -> String? {
        let bound = try TopologyLoader.real()
        let (topology, shareWarnings) = try rankTopology(group)
        let plan = try PlacementPlan.make(topology: topology, settings: settings)
        let workers = plan.workers.map { w in w.pu.map { "\($0)" + (w.numaNode.map { "/n\($0)" } ?? "") } ?? "-" }
        let line = [String(group.rank), MPIProcessGroup.processorName, formatCPUList(bound.allowedPUs),
                    formatCPUList(topology.allowedPUs), workers.joined(separator: " ")].joined(separator: "\t")
        let lines = group.allGather(bytes: Array((line + "\u{1}" + plan.warnings.joined(separator: "\u{2}")).utf8))
            .map { String(decoding: $0, as: UTF8.self) }
        guard group.rank == 0 else { return nil }
        var out = "MPI: \(group.size) ranks; each rank places \(plan.workers.count) worker\(plan.workers.count == 1 ? "" : "s") "
            + "(\(plan.policy)) inside its share\n"
            + "  (bound: PUs mpirun bound the rank to; share: PUs mlpd uses; workers: PU/NUMA node)\n"
        var rows = [["rank", "host", "bound", "share", "workers"]]
        var warnings = shareWarnings
        for entry in lines {
            let parts = entry.split(separator: "\u{1}", omittingEmptySubsequences: false)
            rows.append(parts[0].split(separator: "\t", omittingEmptySubsequences: false).map(String.init))
            let rank = rows.count - 2
            for warning in parts[1].split(separator: "\u{2}") where !warning.isEmpty { warnings.append("rank \(rank): \(warning)") }
        }
        let widths = (0..<5).map { c in rows.map { $0[c].count }.max()! }
        for row in rows {
            out += "  " + row.enumerated().map { c, cell in c == 4 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ") + "\n"
        }
        for warning in warnings { out += "warning: \(warning)\n" }
        return out
    }
}
#endif
