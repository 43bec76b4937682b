import Foundation
import MLPConfig
import MLPCore
import MLPData
import MLPRuntime

/// Receives progress from a running training run (the terminal, a log, later the daemon).
public protocol TrainingObserver: AnyObject {
    /// After every step. `meanCost` is the running mean of J over the epoch so far.
    func stepCompleted(_ progress: StepProgress)
    /// After every epoch, with its metrics as written to metrics.csv.
    func epochCompleted(_ metrics: EpochMetrics, of totalEpochs: Int)
    /// After a checkpoint is durably written.
    func checkpointWritten(path: String, step: Int)
}

extension TrainingObserver {
    public func checkpointWritten(path: String, step: Int) {}
}

public struct StepProgress: Sendable {
    public var epoch: Int, totalEpochs: Int
    public var stepInEpoch: Int, stepsPerEpoch: Int
    public var meanCost: Double
    public var examplesPerSecond: Double
    /// Estimated seconds until the run ends.
    public var secondsRemaining: Double
}

/// What a finished run reports, also written to `summary.json`.
public struct RunSummary: Codable, Sendable, Equatable {
    public var layers: [Int]
    public var parameters: Int
    public var epochs: Int
    public var steps: Int
    public var trainExamples: Int
    public var testExamples: Int
    public var final: EpochMetrics
    public var bestTestAccuracy: Double?
    public var bestEpoch: Int?
    public var trainingSeconds: Double
    public var examplesPerSecond: Double
    /// Training throughput in GFLOP/s (`Network.flopsPerTrainingExample`).
    public var gflops: Double
    public var files: [String]
}

/// One training run: epochs of minibatch steps, evaluation after each epoch, and the run
/// directory — `config.yaml` at the start, `metrics.csv` and `curves.svg` after every epoch,
/// `model.safetensors` and `summary.json` at the end — each file written atomically.
///
/// With a process group (MPI ranks), every rank trains the same model on its part of each
/// minibatch; only rank 0 evaluates and writes the run directory and checkpoints.
public final class TrainingRun {
    public let prepared: PreparedRun
    public let trainer: Trainer
    public let directory: String
    /// Whether this process evaluates and writes files (rank 0, or the only process).
    public let isWriter: Bool

    public init(prepared: PreparedRun, group: ProcessGroup? = nil) {
        self.prepared = prepared
        let train = prepared.config.train
        let optimizer = Optimizer(kind: train.optimizerKind, weightDecay: Float(train.optimizer.weightDecay),
                                  network: prepared.network)
        let parallel = prepared.config.parallel
        trainer = Trainer(network: prepared.network, parameters: prepared.initialParameters,
                          optimizer: optimizer, batchSize: train.batchSize, pool: WorkerPool(placement: prepared.placement),
                          blockSize: parallel.blockSize, fanIn: parallel.fanIn,
                          group: group, rankReduction: RankReduction(parallel.rankReduction),
                          sharedBatch: parallel.reduction.sharesBatch(placement: prepared.placement,
                                                                      inGroup: (group?.size ?? 1) > 1))
        directory = prepared.config.output.dir
        isWriter = (group?.rank ?? 0) == 0
    }

    /// The hash a checkpoint must match: the resolved config without its `parallel` section,
    /// since the weights do not depend on the thread count, placement or rank count, and
    /// without `output`, so that a run directory may be moved or copied and resumed.
    public static func checkpointHash(_ config: JobConfig) -> String {
        var invariant = config
        invariant.parallel = ParallelConfig()
        invariant.output = OutputConfig(dir: "")
        return Checkpoint.hash(of: invariant.resolvedYAML())
    }

    public static let fileNames = (model: "model.safetensors", metrics: "metrics.csv", summary: "summary.json",
                                   config: "config.yaml", curves: "curves.svg")

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Trains all epochs and writes the run directory; throws if training diverges.
    public func run(observer: TrainingObserver? = nil) throws -> RunSummary {
        guard case .finished(let summary) = try run(observer: observer, control: RunControl()) else {
            preconditionFailure("a run without a stop request always finishes")
        }
        return summary
    }

    /// Trains from the start or from `control.resume`, checkpointing as `control` says, until
    /// all epochs are done or a stop is requested (then after the current step, with a final
    /// checkpoint when a store is configured).
    public func run(observer: TrainingObserver?, control: RunControl) throws -> RunOutcome {
        let config = prepared.config
        let train = prepared.train
        let epochs = config.train.epochs
        let stepsPerEpoch = (train.count + trainer.batchSize - 1) / trainer.batchSize
        let totalSteps = epochs * stepsPerEpoch
        let schedule = config.train.learningRateSchedule
        let resolved = config.resolvedYAML()
        let configHash = Self.checkpointHash(config)
        if isWriter {
            try AtomicFile.createDirectory(directory)
            try AtomicFile.write(resolved, to: path(Self.fileNames.config))
        }

        // Position and partial sums, from a checkpoint or from zero.
        var startEpoch = 0, startStep = 0
        var history: [EpochMetrics] = []
        var trainingSeconds = 0.0
        var cost = 0.0, correct = 0, seen = 0, carriedSeconds = 0.0
        if let checkpoint = control.resume {
            guard checkpoint.configHash == configHash else {
                throw TrainingError("the checkpoint was written for another configuration (hash \(checkpoint.configHash), this one \(configHash))")
            }
            try trainer.restore(from: checkpoint)
            (startEpoch, startStep) = (checkpoint.epoch, checkpoint.stepInEpoch)
            history = checkpoint.history
            trainingSeconds = checkpoint.trainingSeconds
            (cost, correct, seen, carriedSeconds) = (checkpoint.epochCost, checkpoint.epochCorrect, checkpoint.epochSeen,
                                                     checkpoint.epochSeconds)
        }
        let clock = ContinuousClock()
        var lastCheckpoint = clock.now
        /// Saves the position "`stepInEpoch` steps into `epoch`" with the epoch's partial sums.
        func saveCheckpoint(_ store: CheckpointStore, epoch: Int, stepInEpoch: Int, epochSeconds: Double) throws -> String? {
            guard isWriter else { return nil }
            let checkpoint = Checkpoint(
                epoch: epoch, stepInEpoch: stepInEpoch, globalStep: trainer.step, optimizerSteps: trainer.optimizer.stepCount,
                configHash: configHash, orderSeed: config.train.seed, epochCost: cost, epochCorrect: correct,
                epochSeen: seen, trainingSeconds: trainingSeconds, epochSeconds: epochSeconds, history: history,
                parameters: trainer.parameters.array, firstMoment: trainer.optimizer.firstMoment.array,
                secondMoment: trainer.optimizer.secondMoment.array)
            let written = try store.save(checkpoint)
            lastCheckpoint = clock.now
            observer?.checkpointWritten(path: written, step: trainer.step)
            return written
        }
        for epoch in startEpoch..<epochs {
            let order = Trainer.exampleOrder(count: train.count, epoch: epoch, seed: config.train.seed,
                                             shuffle: config.train.shuffle)
            var rate = 0.0
            let start = clock.now
            for s in (epoch == startEpoch ? startStep : 0)..<stepsPerEpoch {
                let indices = order[(s * trainer.batchSize)..<min((s + 1) * trainer.batchSize, train.count)]
                rate = schedule.rate(step: trainer.step, epoch: epoch, totalSteps: totalSteps)
                let result = trainer.trainStep(train, indices: indices, learningRate: Float(rate))
                guard result.cost.isFinite else {
                    throw TrainingError("training diverged: the cost became \(result.cost) at epoch \(epoch + 1), step \(s + 1); "
                                        + "try a smaller train.optimizer.learning_rate (now \(config.train.optimizer.learningRate))")
                }
                cost += result.cost
                correct += result.correct
                seen += indices.count
                let elapsed = carriedSeconds + seconds(clock.now - start)
                if let observer {
                    let speed = Double(seen) / max(elapsed, 1e-9)
                    let remainingExamples = Double(totalSteps - trainer.step) * Double(trainer.batchSize)
                    observer.stepCompleted(StepProgress(
                        epoch: epoch + 1, totalEpochs: epochs, stepInEpoch: s + 1, stepsPerEpoch: stepsPerEpoch,
                        meanCost: cost / Double(seen), examplesPerSecond: speed,
                        secondsRemaining: remainingExamples / max(speed, 1e-9)))
                }
                let stop = control.isStopRequested
                if s + 1 < stepsPerEpoch, let store = control.checkpointStore,
                   stop || control.isCheckpointDue(step: trainer.step, since: clock.now - lastCheckpoint) {
                    let written = try saveCheckpoint(store, epoch: epoch, stepInEpoch: s + 1, epochSeconds: elapsed)
                    if stop { return .stopped(checkpoint: written) }
                } else if stop && s + 1 < stepsPerEpoch {
                    return .stopped(checkpoint: nil)
                }
            }
            let epochSeconds = carriedSeconds + seconds(clock.now - start)
            trainingSeconds += epochSeconds
            let test = isWriter ? prepared.test.map { trainer.evaluator.evaluate($0) } : nil
            let metrics = EpochMetrics(
                epoch: epoch + 1, steps: trainer.step, learningRate: rate,
                trainCost: cost / Double(train.count),
                trainAccuracy: train.labels == nil ? nil : Double(correct) / Double(train.count),
                testCost: test?.cost, testAccuracy: test?.accuracy,
                examplesPerSecond: Double(train.count) / max(epochSeconds, 1e-9), seconds: epochSeconds)
            history.append(metrics)
            (cost, correct, seen, carriedSeconds) = (0, 0, 0, 0)
            if isWriter {
                try AtomicFile.write(MetricsCSV.render(history), to: path(Self.fileNames.metrics))
                try AtomicFile.write(CurvesChart.svg(history, title: "mlpd — \(directory)"), to: path(Self.fileNames.curves))
            }
            observer?.epochCompleted(metrics, of: epochs)
            // Epoch boundaries are natural checkpoints: nothing partial to carry.
            if epoch + 1 < epochs, let store = control.checkpointStore,
               control.isStopRequested || control.isCheckpointDue(step: trainer.step, since: clock.now - lastCheckpoint) {
                let written = try saveCheckpoint(store, epoch: epoch + 1, stepInEpoch: 0, epochSeconds: 0)
                if control.isStopRequested { return .stopped(checkpoint: written) }
            } else if control.isStopRequested && epoch + 1 < epochs {
                return .stopped(checkpoint: nil)
            }
        }

        if isWriter {
            let model = ModelFile(network: prepared.network, parameters: trainer.parameters.array, scaling: prepared.scaling)
            try model.write(to: path(Self.fileNames.model))
        }
        let best = history.indices.filter { history[$0].testAccuracy != nil }
            .max { history[$0].testAccuracy! < history[$1].testAccuracy! }
        let examplesPerSecond = Double(train.count * epochs) / max(trainingSeconds, 1e-9)
        let summary = RunSummary(
            layers: prepared.network.sizes, parameters: prepared.network.parameterCount, epochs: epochs,
            steps: trainer.step, trainExamples: train.count, testExamples: prepared.test?.count ?? 0,
            final: history[history.count - 1],
            bestTestAccuracy: best.map { history[$0].testAccuracy! }, bestEpoch: best.map { $0 + 1 },
            trainingSeconds: trainingSeconds, examplesPerSecond: examplesPerSecond,
            gflops: examplesPerSecond * Double(prepared.network.flopsPerTrainingExample) / 1e9,
            files: [Self.fileNames.model, Self.fileNames.metrics, Self.fileNames.curves, Self.fileNames.config,
                    Self.fileNames.summary])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        if isWriter {
            try AtomicFile.write(Array(try encoder.encode(summary)) + [UInt8(ascii: "\n")], to: path(Self.fileNames.summary))
        }
        return .finished(summary)
    }
}

/// How a run ended.
public enum RunOutcome: Sendable {
    case finished(RunSummary)
    /// Stopped on request; the checkpoint to resume from, if a store was configured.
    case stopped(checkpoint: String?)
}

/// Steers a run from outside: where and how often to checkpoint, where to resume from, and a
/// stop request that may come from another thread (a signal handler, the daemon).
public final class RunControl: @unchecked Sendable {
    public var checkpointStore: CheckpointStore?
    /// Checkpoint after every this many steps (nil: not by steps).
    public var checkpointEverySteps: Int?
    /// Checkpoint when this much time has passed since the last one (nil: not by time).
    public var checkpointInterval: Duration?
    /// Continue from here instead of from the initial weights.
    public var resume: Checkpoint?
    private let lock = NSLock()
    private var stopRequested = false

    public init(checkpointStore: CheckpointStore? = nil, checkpointEverySteps: Int? = nil,
                checkpointInterval: Duration? = nil, resume: Checkpoint? = nil) {
        self.checkpointStore = checkpointStore
        self.checkpointEverySteps = checkpointEverySteps
        self.checkpointInterval = checkpointInterval
        self.resume = resume
    }

    /// Asks the run to stop after its current step (thread-safe).
    public func requestStop() { lock.withLock { stopRequested = true } }

    public var isStopRequested: Bool { lock.withLock { stopRequested } }

    func isCheckpointDue(step: Int, since elapsed: Duration) -> Bool {
        if let every = checkpointEverySteps, step % every == 0 { return true }
        if let interval = checkpointInterval, elapsed >= interval { return true }
        return false
    }
}

/// A duration in seconds.
func seconds(_ duration: Duration) -> Double {
    let (whole, fraction) = duration.components
    return Double(whole) + Double(fraction) * 1e-18
}
