import Foundation
import MLPTraining

/// Where a job is in its life. `queued` → `running` → `succeeded` | `failed` | `cancelled`;
/// a queued job may also go straight to `cancelled`.
public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    /// True for the three end states.
    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// Live progress of a running job, from its last completed step.
public struct JobProgress: Codable, Sendable, Equatable {
    /// 1-based epoch and the epoch count.
    public var epoch: Int
    public var totalEpochs: Int
    /// Steps done in this epoch, and per epoch.
    public var stepInEpoch: Int
    public var stepsPerEpoch: Int
    /// Steps done over the whole run (counting those before a resume).
    public var globalStep: Int
    /// Mean cost J over the epoch so far.
    public var cost: Double
    /// Training throughput over the epoch so far.
    public var examplesPerSecond: Double
    /// Estimated seconds until the run ends.
    public var secondsRemaining: Double

    /// Creates a progress value.
    public init(epoch: Int, totalEpochs: Int, stepInEpoch: Int, stepsPerEpoch: Int, globalStep: Int, cost: Double,
                examplesPerSecond: Double, secondsRemaining: Double) {
        (self.epoch, self.totalEpochs, self.stepInEpoch, self.stepsPerEpoch) = (epoch, totalEpochs, stepInEpoch, stepsPerEpoch)
        (self.globalStep, self.cost, self.examplesPerSecond) = (globalStep, cost, examplesPerSecond)
        self.secondsRemaining = secondsRemaining.isFinite ? secondsRemaining : 0
    }
}

/// Everything the daemon knows about one job; stored as `state/jobs/<id>/job.json` (snake_case
/// keys, ISO 8601 times) and returned by the API.
public struct JobRecord: Codable, Sendable, Equatable {
    /// The job's identifier (`JobIDGenerator`).
    public var id: String
    /// A label given at submission (`?name=`), shown by `mlpd jobs`.
    public var name: String?
    /// The file name used in configuration errors, as the client named the job file.
    public var file: String
    /// Higher runs first; equal priorities run in submission order.
    public var priority: Int
    /// Where the job is in its life.
    public var state: JobState
    /// When the job was accepted.
    public var submittedAt: Date
    /// When it last started or resumed.
    public var startedAt: Date?
    /// When it ended (succeeded, failed or was cancelled).
    public var finishedAt: Date?
    /// The client's working directory: relative paths in the job resolve against it.
    public var workingDirectory: String?
    /// Why the job failed (or what stopped it), for a person to read.
    public var error: String?
    /// How often the job was started, resumes after a restart included.
    public var starts: Int
    /// The global step of the checkpoint the last start resumed from, if it resumed.
    public var resumedFromStep: Int?
    /// The last completed step, while and after running.
    public var progress: JobProgress?
    /// Metrics of the finished epochs.
    public var epochs: [EpochMetrics]
    /// The run's summary once it succeeded.
    public var summary: RunSummary?
    /// The job's directory: the run files of `mlpd train`, `job.yaml`, `job.json`, `job.log`
    /// and `checkpoints/`.
    public var directory: String

    /// A newly submitted job.
    public init(id: String, name: String?, file: String, priority: Int, submittedAt: Date, workingDirectory: String?,
                directory: String) {
        self.id = id
        self.name = name
        self.file = file
        self.priority = priority
        self.state = .queued
        self.submittedAt = submittedAt
        self.workingDirectory = workingDirectory
        self.starts = 0
        self.epochs = []
        self.directory = directory
    }

    /// The encoder for `job.json` and API responses.
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// The matching decoder.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
