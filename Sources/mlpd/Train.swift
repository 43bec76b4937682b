import ArgumentParser
import Foundation
import MLPConfig
import MLPTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network from a YAML config and write its run directory.")

    @Argument(help: "The job config (YAML).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config key, e.g. --set train.epochs=5 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Worker threads (overrides parallel.threads; 'auto' = one per core).")
    var threads: String?

    func run() throws {
        try reportingErrors {
            let job = try JobConfig.load(path: config, overrides: overrides + (threads.map { ["parallel.threads=\($0)"] } ?? []))
            let prepared = try PreparedRun(config: job)
            let run = TrainingRun(prepared: prepared)
            for warning in prepared.placement.warnings + run.trainer.pool.warnings {
                FileHandle.standardError.write(Data("mlpd: warning: \(warning)\n".utf8))
            }
            let progress = ProgressReporter(interactive: isatty(STDERR_FILENO) == 1)
            print("mlpd: training \(prepared.network.sizes.map(String.init).joined(separator: "-")) on \(prepared.train.count) examples"
                  + (prepared.test.map { ", testing on \($0.count)" } ?? "")
                  + " with \(run.trainer.pool.size) thread\(run.trainer.pool.size == 1 ? "" : "s"); run directory \(run.directory)")
            let summary = try run.run(observer: progress)
            progress.finish()
            let accuracy = summary.final.testAccuracy.map { String(format: ", test accuracy %.4f", $0) } ?? ""
            print(String(format: "mlpd: done in %.2f s, %.0f examples/s, %.2f GFLOP/s", summary.trainingSeconds,
                         summary.examplesPerSecond, summary.gflops) + accuracy)
        }
    }
}
