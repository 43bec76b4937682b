import ArgumentParser
import Foundation
import MLPConfig
import MLPRuntime
import MLPTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network from a YAML config and write its run directory.",
        discussion: """
            Under mpirun (a build with `--traits MPI`), the ranks train one model together: each \
            takes its part of every minibatch, and only rank 0 writes the run directory. See \
            docs/distributed.md.
            """)

    @Argument(help: "The job config (YAML).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config key, e.g. --set train.epochs=5 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Worker threads (overrides parallel.threads; 'auto' = one per core).")
    var threads: String?

    @Option(help: "Write a checkpoint every N steps into <output.dir>/checkpoints (the newest 3 are kept).")
    var checkpointEvery: Int?

    @Flag(help: "Continue from the newest checkpoint in <output.dir>/checkpoints written for this config (from the start if there is none).")
    var resume = false

    func run() throws {
        try Ranks.running(train)
    }

    private func train(group: (any ProcessGroup)?) throws {
        if let every = checkpointEvery, every < 1 { throw ValidationError("--checkpoint-every must be ≥ 1 (got \(every))") }
        let job = try JobConfig.load(path: config, overrides: overrides + (threads.map { ["parallel.threads=\($0)"] } ?? []))
        let rankView = try Ranks.topology(group)
        let prepared = try PreparedRun(config: job, topology: rankView?.topology)
        let run = TrainingRun(prepared: prepared, group: group)
        let speaks = run.isWriter
        if speaks {
            for warning in (rankView?.warnings ?? []) + prepared.placement.warnings + run.trainer.pool.warnings {
                FileHandle.standardError.write(Data("mlpd: warning: \(warning)\n".utf8))
            }
        }
        let store = CheckpointStore(directory: (run.directory as NSString).appendingPathComponent("checkpoints"), keep: 3)
        let control = RunControl(checkpointStore: checkpointEvery == nil ? nil : store, checkpointEverySteps: checkpointEvery)
        if resume {
            let found = try Ranks.latestCheckpoint(group, store: store, configHash: TrainingRun.checkpointHash(job))
            if speaks {
                for skipped in found?.skipped ?? [] { FileHandle.standardError.write(Data("mlpd: warning: skipped \(skipped)\n".utf8)) }
                print(found.map { "mlpd: resuming from \($0.path) (step \($0.checkpoint.globalStep))" }
                      ?? "mlpd: no checkpoint in \(store.directory) for this config; starting from the beginning")
            }
            control.resume = found?.checkpoint
        }
        let workers = run.trainer.pool.size * (group?.size ?? 1)
        if speaks {
            print("mlpd: training \(prepared.network.sizes.map(String.init).joined(separator: "-")) on \(prepared.train.count) examples"
                  + (prepared.test.map { ", testing on \($0.count)" } ?? "")
                  + " with \(run.trainer.pool.size) thread\(run.trainer.pool.size == 1 ? "" : "s")"
                  + (group.map { " × \($0.size) ranks (\(workers) workers, \(job.parallel.rankReduction.rawValue) reduction)" } ?? "")
                  + "; run directory \(run.directory)")
        }
        let progress = ProgressReporter(interactive: speaks && isatty(STDERR_FILENO) == 1, quiet: !speaks)
        guard case .finished(let summary) = try run.run(observer: progress, control: control) else {
            preconditionFailure("a run without a stop request always finishes")
        }
        progress.finish()
        if speaks {
            let accuracy = summary.final.testAccuracy.map { String(format: ", test accuracy %.4f", $0) } ?? ""
            print(String(format: "mlpd: done in %.2f s, %.0f examples/s, %.2f GFLOP/s", summary.trainingSeconds,
                         summary.examplesPerSecond, summary.gflops) + accuracy)
        }
    }
}
