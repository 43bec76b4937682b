import Foundation
import MLPConfig
import MLPCore
import MLPData

/// Receives progress from a running training run (the terminal, a log, later the daemon).
public protocol TrainingObserver: AnyObject {
    /// After every step. `meanCost` is the running mean of J over the epoch so far.
    func stepCompleted(_ progress: StepProgress)
    /// After every epoch, with its metrics as written to metrics.csv.
    func epochCompleted(_ metrics: EpochMetrics, of totalEpochs: Int)
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
public final class TrainingRun {
    public let prepared: PreparedRun
    public let trainer: Trainer
    public let directory: String

    public init(prepared: PreparedRun) {
        self.prepared = prepared
        let train = prepared.config.train
        let optimizer = Optimizer(kind: train.optimizerKind, weightDecay: Float(train.optimizer.weightDecay),
                                  network: prepared.network)
        trainer = Trainer(network: prepared.network, parameters: prepared.initialParameters,
                          optimizer: optimizer, batchSize: train.batchSize)
        directory = prepared.config.output.dir
    }

    public static let fileNames = (model: "model.safetensors", metrics: "metrics.csv", summary: "summary.json",
                                   config: "config.yaml", curves: "curves.svg")

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Trains all epochs and writes the run directory; throws if training diverges.
    public func run(observer: TrainingObserver? = nil) throws -> RunSummary {
        let config = prepared.config
        let train = prepared.train
        let epochs = config.train.epochs
        let stepsPerEpoch = (train.count + trainer.batchSize - 1) / trainer.batchSize
        let totalSteps = epochs * stepsPerEpoch
        let schedule = config.train.learningRateSchedule
        try AtomicFile.createDirectory(directory)
        try AtomicFile.write(config.resolvedYAML(), to: path(Self.fileNames.config))

        var history: [EpochMetrics] = []
        var trainingSeconds = 0.0
        let clock = ContinuousClock()
        for epoch in 0..<epochs {
            let order = Trainer.exampleOrder(count: train.count, epoch: epoch, seed: config.train.seed,
                                             shuffle: config.train.shuffle)
            var cost = 0.0, correct = 0, seen = 0
            var rate = 0.0
            let start = clock.now
            for s in 0..<stepsPerEpoch {
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
                if let observer {
                    let elapsed = seconds(clock.now - start)
                    let speed = Double(seen) / max(elapsed, 1e-9)
                    let remainingExamples = Double(totalSteps - trainer.step) * Double(trainer.batchSize)
                    observer.stepCompleted(StepProgress(
                        epoch: epoch + 1, totalEpochs: epochs, stepInEpoch: s + 1, stepsPerEpoch: stepsPerEpoch,
                        meanCost: cost / Double(seen), examplesPerSecond: speed,
                        secondsRemaining: remainingExamples / max(speed, 1e-9)))
                }
            }
            let epochSeconds = seconds(clock.now - start)
            trainingSeconds += epochSeconds
            let test = prepared.test.map { trainer.evaluator.evaluate($0) }
            let metrics = EpochMetrics(
                epoch: epoch + 1, steps: trainer.step, learningRate: rate,
                trainCost: cost / Double(train.count),
                trainAccuracy: train.labels == nil ? nil : Double(correct) / Double(train.count),
                testCost: test?.cost, testAccuracy: test?.accuracy,
                examplesPerSecond: Double(train.count) / max(epochSeconds, 1e-9), seconds: epochSeconds)
            history.append(metrics)
            try AtomicFile.write(MetricsCSV.render(history), to: path(Self.fileNames.metrics))
            try AtomicFile.write(CurvesChart.svg(history, title: "mlpd — \(directory)"), to: path(Self.fileNames.curves))
            observer?.epochCompleted(metrics, of: epochs)
        }

        let model = ModelFile(network: prepared.network, parameters: trainer.parameters.array, scaling: prepared.scaling)
        try model.write(to: path(Self.fileNames.model))
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
        try AtomicFile.write(Array(try encoder.encode(summary)) + [UInt8(ascii: "\n")], to: path(Self.fileNames.summary))
        return summary
    }
}

/// A duration in seconds.
func seconds(_ duration: Duration) -> Double {
    let (whole, fraction) = duration.components
    return Double(whole) + Double(fraction) * 1e-18
}
