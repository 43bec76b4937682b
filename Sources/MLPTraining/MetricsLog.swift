/// What one epoch of training measured: one row of `metrics.csv` and one point of each curve.
public struct EpochMetrics: Sendable, Equatable, Codable {
    /// The epoch number, counting from 1.
    public var epoch: Int
    /// Optimizer steps taken so far in the run (cumulative, not per epoch).
    public var steps: Int
    /// The learning rate in effect at the end of the epoch.
    public var learningRate: Double
    /// Mean cost over the epoch's training examples.
    public var trainCost: Double
    /// Accuracy on the training set in 0…1, if measured.
    public var trainAccuracy: Double?
    /// Mean cost on the test set, if there is one.
    public var testCost: Double?
    /// Accuracy on the test set in 0…1, if there is one.
    public var testAccuracy: Double?
    /// Training throughput over the epoch.
    public var examplesPerSecond: Double
    /// Wall-clock duration of the epoch, evaluation included.
    public var seconds: Double

    /// Creates a row; the optional measurements default to absent.
    public init(
        epoch: Int, steps: Int, learningRate: Double, trainCost: Double,
        trainAccuracy: Double? = nil,
        testCost: Double? = nil, testAccuracy: Double? = nil, examplesPerSecond: Double,
        seconds: Double
    ) {
        self.epoch = epoch
        self.steps = steps
        self.learningRate = learningRate
        self.trainCost = trainCost
        self.trainAccuracy = trainAccuracy
        self.testCost = testCost
        self.testAccuracy = testAccuracy
        self.examplesPerSecond = examplesPerSecond
        self.seconds = seconds
    }
}

/// `metrics.csv`: one header line and one line per epoch, `\n`-terminated.
///
/// A missing measurement is an empty cell. Numbers are printed with Swift's `description`, the
/// shortest text that reads back as the same `Double` (`0.1`, `1e-05`, `nan`, `inf`), which
/// NumPy, pandas and spreadsheets parse. No cell ever needs quoting.
public enum MetricsCSV {
    /// The column names, without a line terminator.
    public static let header =
        "epoch,steps,learning_rate,train_cost,train_accuracy,test_cost,test_accuracy,examples_per_second,seconds"

    /// One row for `m`, in `header`'s column order, without a line terminator.
    public static func row(_ m: EpochMetrics) -> String {
        [
            String(m.epoch), String(m.steps), m.learningRate.description, m.trainCost.description,
            m.trainAccuracy?.description ?? "", m.testCost?.description ?? "",
            m.testAccuracy?.description ?? "", m.examplesPerSecond.description,
            m.seconds.description,
        ].joined(separator: ",")
    }

    /// The whole file: the header, then one row per element of `rows`, each line ending in `\n`.
    public static func render(_ rows: [EpochMetrics]) -> String {
        ([header] + rows.map(row)).map { $0 + "\n" }.joined()
    }
}
