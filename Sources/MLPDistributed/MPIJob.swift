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
