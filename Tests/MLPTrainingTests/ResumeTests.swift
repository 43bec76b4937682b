import Foundation
import MLPConfig
import MLPTraining
import Testing

/// Stops a run at a chosen global step (as SIGTERM or SIGKILL would, at a step boundary).
final class StopAtStep: TrainingObserver {
    let step: Int
    let control: RunControl
    private var steps = 0
    init(step: Int, control: RunControl) { (self.step, self.control) = (step, control) }
    func stepCompleted(_ progress: StepProgress) {
        steps += 1
        if steps == step { control.requestStop() }
    }
    func epochCompleted(_ metrics: EpochMetrics, of totalEpochs: Int) {}
}

@Suite struct ResumeTests {
    static let digits = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data/digits.csv.gz").path

    func config(_ dir: URL, optimizer: String) throws -> JobConfig {
        try JobConfig.parse(yaml: """
            model: {layers: [64, 16, 10]}
            data:
              train: {path: \(Self.digits), label: last}
              split: {test_fraction: 0.2, seed: 3}
              scale: 0.0625
            train:
              epochs: 3
              batch_size: 50
              optimizer: \(optimizer)
            output: {dir: \(dir.path)}
            """, file: "resume.yaml")
    }

    func temporary() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mlpd-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test(arguments: [("{kind: sgd, learning_rate: 2.0, momentum: 0.5}", 7), ("{kind: adam, learning_rate: 0.01}", 29),
                      ("{kind: sgd, learning_rate: 2.0}", 58)])
    func resumedRunEndsWithTheSameModelBytes(optimizer: String, stopStep: Int) throws {
        let root = try temporary()
        defer { try? FileManager.default.removeItem(at: root) }
        let straight = root.appendingPathComponent("straight"), interrupted = root.appendingPathComponent("interrupted")

        _ = try TrainingRun(prepared: try PreparedRun(config: try config(straight, optimizer: optimizer))).run()

        let store = CheckpointStore(directory: interrupted.appendingPathComponent("checkpoints").path, keep: 2)
        let control = RunControl(checkpointStore: store, checkpointEverySteps: 5)
        let first = TrainingRun(prepared: try PreparedRun(config: try config(interrupted, optimizer: optimizer)))
        guard case .stopped(let path?) = try first.run(observer: StopAtStep(step: stopStep, control: control), control: control) else {
            Issue.record("the run should have stopped with a checkpoint")
            return
        }
        #expect(store.files().count <= 2)
        #expect(!FileManager.default.fileExists(atPath: interrupted.appendingPathComponent("model.safetensors").path))

        let resumed = RunControl(checkpointStore: store, checkpointEverySteps: 5, resume: try Checkpoint.read(path: path))
        let second = TrainingRun(prepared: try PreparedRun(config: try config(interrupted, optimizer: optimizer)))
        guard case .finished = try second.run(observer: nil, control: resumed) else {
            Issue.record("the resumed run should finish")
            return
        }
        let a = try Data(contentsOf: straight.appendingPathComponent("model.safetensors"))
        let b = try Data(contentsOf: interrupted.appendingPathComponent("model.safetensors"))
        #expect(a == b)
        // The metrics match too, but for the timing columns.
        func costs(_ dir: URL) throws -> [String] {
            try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(7).joined(separator: ",") }
        }
        #expect(try costs(straight) == costs(interrupted))
    }

    @Test func corruptNewestCheckpointFallsBackToTheOneBefore() throws {
        let root = try temporary()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = CheckpointStore(directory: root.appendingPathComponent("checkpoints").path, keep: 3)
        let control = RunControl(checkpointStore: store, checkpointEverySteps: 4)
        let run = TrainingRun(prepared: try PreparedRun(config: try config(root, optimizer: "{kind: sgd, learning_rate: 1.0}")))
        _ = try run.run(observer: StopAtStep(step: 13, control: control), control: control)
        let files = store.files()
        #expect(files.count == 3)
        let hash = TrainingRun.checkpointHash(run.prepared.config)
        #expect(store.latest(configHash: hash)?.checkpoint.globalStep == 13)
        // Truncate the newest: the store falls back to step 12, and says why.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: files[0]))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: files[0]))
        let latest = try #require(store.latest(configHash: hash))
        #expect(latest.checkpoint.globalStep == 12)
        #expect(latest.skipped.count == 1 && latest.skipped[0].contains(files[0]))
        #expect(store.latest(configHash: "0000000000000000") == nil)
    }
}
