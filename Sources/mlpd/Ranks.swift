import ArgumentParser
import Foundation
import MLPRuntime
import MLPTraining
#if MPI
import MLPDistributed
#endif

/// The MPI side of a command: present when mlpd is built with the `MPI` trait and started by
/// `mpirun`; a single process otherwise. Commands call these without `#if`.
enum Ranks {
    /// The job's ranks, or nil in a single process. A build without MPI that `mpirun` started
    /// as several ranks refuses to run (each rank would train alone and write the same files).
    static func group() throws -> (any ProcessGroup)? {
        #if MPI
        return MPIProcessGroup.isLaunchedByMPI ? MPIProcessGroup.world() : nil
        #else
        if let size = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init), size > 1 {
            throw RanksError("mpirun started \(size) ranks, but this mlpd was built without MPI: build it with "
                             + "`swift build -c release --traits MPI` (needs libopenmpi-dev)")
        }
        return nil
        #endif
    }

    /// Runs a command's body with the job's ranks (nil in one process): any error becomes
    /// `mlpd: error: …` and exit status 1 — and with several ranks `MPI_Abort`, since the other
    /// ranks may be waiting for this one; after success MPI is finalised.
    static func running(_ body: ((any ProcessGroup)?) throws -> Void) throws {
        var group: (any ProcessGroup)?
        do {
            group = try Ranks.group()
            try body(group)
        } catch let error as ExitCode {
            throw error
        } catch {
            if let group, group.size > 1 { abort(group, "mlpd: error (rank \(group.rank)): \(error)\n") }
            FileHandle.standardError.write(Data("mlpd: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        finish(group)
    }

    /// This rank's share of the machine and warnings about the launch's binding (see
    /// `RankPlacement`); nil without a group.
    static func topology(_ group: (any ProcessGroup)?) throws -> (topology: Topology, warnings: [String])? {
        #if MPI
        if let mpi = group as? MPIProcessGroup { return try MPIJob.rankTopology(mpi) }
        #endif
        return nil
    }

    /// `mlpd topology` under mpirun: the per-rank table, on rank 0 (nil on the others).
    static func report(_ group: any ProcessGroup, settings: ParallelSettings) throws -> String? {
        #if MPI
        if let mpi = group as? MPIProcessGroup { return try MPIJob.rankReport(mpi, settings: settings) }
        #endif
        return nil
    }

    /// The rows of `mlpd bench --ranks`: for each count r, the job's first r ranks as a group
    /// (collective: every rank makes the same groups in the same order).
    static func benchLayouts(_ group: (any ProcessGroup)?, ranks: [Int], threads: Int) throws -> [Benchmark.Layout] {
        let size = group?.size ?? 1
        guard let tooMany = ranks.first(where: { $0 > size }) else {
            #if MPI
            if let mpi = group as? MPIProcessGroup {
                return ranks.map { r in
                    let sub = mpi.subgroup(including: mpi.rank < r)
                    return Benchmark.Layout(threads: threads, ranks: r, group: sub, member: sub != nil)
                }
            }
            #endif
            return ranks.map { _ in Benchmark.Layout(threads: threads) }
        }
        #if MPI
        let hint = "start more with mpirun -np \(tooMany)"
        #else
        let hint = "more than one rank needs a build with `--traits MPI`, started by mpirun"
        #endif
        throw RanksError("--ranks \(tooMany): this job has \(size) rank\(size == 1 ? "" : "s"); \(hint)")
    }

    /// The checkpoint to resume from: read by rank 0 and sent to all ranks.
    static func latestCheckpoint(_ group: (any ProcessGroup)?, store: CheckpointStore, configHash: String) throws
        -> (checkpoint: Checkpoint, path: String, skipped: [String])?
    {
        #if MPI
        if let mpi = group as? MPIProcessGroup {
            return try MPIJob.sharedCheckpoint(mpi, store: store, configHash: configHash)
        }
        #endif
        return store.latest(configHash: configHash)
    }

    /// Ends the job on every rank after an error on this one (`MPI_Abort`): the other ranks may
    /// be waiting for it in a collective.
    static func abort(_ group: (any ProcessGroup)?, _ message: String) -> Never {
        #if MPI
        if let mpi = group as? MPIProcessGroup { mpi.abort(message) }
        #endif
        FileHandle.standardError.write(Data(message.utf8))
        exit(1)
    }

    /// Ends MPI after a successful run.
    static func finish(_ group: (any ProcessGroup)?) {
        #if MPI
        if group is MPIProcessGroup { MPIProcessGroup.finalize() }
        #endif
    }
}

struct RanksError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
