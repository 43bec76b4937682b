import Foundation

/// Everything needed to continue a run exactly where it stopped, so that a resumed run ends
/// with the same model bytes as an uninterrupted one: the parameters, the optimizer's state,
/// the position in the data order and the partial sums of the current epoch's metrics.
///
/// The example order of an epoch is a pure function of (train.seed, epoch) (see
/// `Trainer.exampleOrder`), so the position (epoch, step in epoch) *is* the random-generator
/// state; it is stored as such, with the seed, in the metadata.
///
/// Stored as safetensors: tensors `parameters`, `optimizer.first_moment`,
/// `optimizer.second_moment` (each present when non-empty); metadata `format` =
/// `mlpd-checkpoint` and the fields below as strings (Doubles in round-trip form).
public struct Checkpoint: Sendable, Equatable {
    /// The epoch in progress (0-based) and how many of its steps are done.
    public var epoch: Int
    public var stepInEpoch: Int
    /// Steps done over the whole run; the optimizer's own step count (Adam's bias correction).
    public var globalStep: Int
    public var optimizerSteps: Int
    /// `Checkpoint.hash(of:)` of the resolved configuration: a checkpoint of another config is refused.
    public var configHash: String
    /// The seed of the example order (train.seed).
    public var orderSeed: UInt64
    /// Sums over the current epoch's finished steps: cost, correct predictions, examples.
    public var epochCost: Double
    public var epochCorrect: Int
    public var epochSeen: Int
    /// Training seconds before this checkpoint (excluding evaluation), and of the current epoch.
    public var trainingSeconds: Double
    public var epochSeconds: Double
    /// Metrics of the finished epochs.
    public var history: [EpochMetrics]
    public var parameters: [Float]
    public var firstMoment: [Float]
    public var secondMoment: [Float]

    public static let formatName = "mlpd-checkpoint"

    public init(epoch: Int, stepInEpoch: Int, globalStep: Int, optimizerSteps: Int, configHash: String,
                orderSeed: UInt64, epochCost: Double, epochCorrect: Int, epochSeen: Int, trainingSeconds: Double,
                epochSeconds: Double, history: [EpochMetrics], parameters: [Float], firstMoment: [Float],
                secondMoment: [Float]) {
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
        self.globalStep = globalStep
        self.optimizerSteps = optimizerSteps
        self.configHash = configHash
        self.orderSeed = orderSeed
        self.epochCost = epochCost
        self.epochCorrect = epochCorrect
        self.epochSeen = epochSeen
        self.trainingSeconds = trainingSeconds
        self.epochSeconds = epochSeconds
        self.history = history
        self.parameters = parameters
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }

    /// FNV-1a (64-bit) of a configuration's resolved YAML, as 16 hex digits.
    public static func hash(of text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01b3
        }
        let digits = String(h, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    // MARK: - File form

    public func safetensors() throws -> SafetensorsFile {
        var tensors = [SafetensorsTensor(name: "parameters", shape: [parameters.count], values: parameters)]
        if !firstMoment.isEmpty {
            tensors.append(SafetensorsTensor(name: "optimizer.first_moment", shape: [firstMoment.count], values: firstMoment))
        }
        if !secondMoment.isEmpty {
            tensors.append(SafetensorsTensor(name: "optimizer.second_moment", shape: [secondMoment.count], values: secondMoment))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let metadata: [String: String] = [
            "format": Self.formatName,
            "epoch": "\(epoch)", "step_in_epoch": "\(stepInEpoch)", "global_step": "\(globalStep)",
            "optimizer_steps": "\(optimizerSteps)", "config_hash": configHash, "order_seed": "\(orderSeed)",
            "epoch_cost": "\(epochCost)", "epoch_correct": "\(epochCorrect)", "epoch_seen": "\(epochSeen)",
            "training_seconds": "\(trainingSeconds)", "epoch_seconds": "\(epochSeconds)",
            "history": String(decoding: try encoder.encode(history), as: UTF8.self),
        ]
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    public func write(to path: String) throws { try safetensors().write(to: path) }

    /// Reads a checkpoint; a truncated, corrupt or foreign file is an error naming it.
    public static func read(path: String) throws -> Checkpoint {
        try parse(SafetensorsFile.read(path: path), path: path)
    }

    /// A checkpoint from a file's bytes (e.g. read by another MPI rank); errors name `path`.
    public static func parse(bytes: [UInt8], path: String) throws -> Checkpoint {
        try parse(SafetensorsFile.parse(bytes, file: path), path: path)
    }

    private static func parse(_ file: SafetensorsFile, path: String) throws -> Checkpoint {
        let meta = file.metadata
        func fail(_ what: String) -> TrainingError { TrainingError("\(path): not a usable mlpd checkpoint: \(what)") }
        guard meta["format"] == formatName else { throw fail("format is '\(meta["format"] ?? "")'") }
        func integer(_ key: String) throws -> Int {
            guard let value = meta[key].flatMap(Int.init), value >= 0 else { throw fail("bad or missing '\(key)'") }
            return value
        }
        func real(_ key: String) throws -> Double {
            guard let value = meta[key].flatMap(Double.init) else { throw fail("bad or missing '\(key)'") }
            return value
        }
        guard let hash = meta["config_hash"], let seed = meta["order_seed"].flatMap(UInt64.init),
              let parameters = file.tensor(named: "parameters") else { throw fail("missing fields") }
        let history: [EpochMetrics]
        do {
            history = try JSONDecoder().decode([EpochMetrics].self, from: Data((meta["history"] ?? "").utf8))
        } catch {
            throw fail("bad 'history'")
        }
        return Checkpoint(
            epoch: try integer("epoch"), stepInEpoch: try integer("step_in_epoch"), globalStep: try integer("global_step"),
            optimizerSteps: try integer("optimizer_steps"), configHash: hash, orderSeed: seed,
            epochCost: try real("epoch_cost"), epochCorrect: try integer("epoch_correct"), epochSeen: try integer("epoch_seen"),
            trainingSeconds: try real("training_seconds"), epochSeconds: try real("epoch_seconds"), history: history,
            parameters: parameters.values, firstMoment: file.tensor(named: "optimizer.first_moment")?.values ?? [],
            secondMoment: file.tensor(named: "optimizer.second_moment")?.values ?? [])
    }
}

/// A run's checkpoint folder: `ckpt-<global step, 10 digits>.safetensors`, the newest K kept.
public struct CheckpointStore: Sendable {
    public var directory: String
    /// How many checkpoints to keep (≥ 1).
    public var keep: Int

    public init(directory: String, keep: Int) {
        precondition(keep >= 1)
        self.directory = directory
        self.keep = keep
    }

    func path(step: Int) -> String {
        let digits = String(step)
        return (directory as NSString).appendingPathComponent(
            "ckpt-" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits + ".safetensors")
    }

    /// Checkpoint files, newest first.
    public func files() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("ckpt-") && $0.hasSuffix(".safetensors") }.sorted(by: >)
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Writes `checkpoint` atomically (temp file, fsync, rename, fsync of the folder), then
    /// removes all but the newest `keep`. Returns its path.
    @discardableResult
    public func save(_ checkpoint: Checkpoint) throws -> String {
        try AtomicFile.createDirectory(directory)
        let target = path(step: checkpoint.globalStep)
        try checkpoint.write(to: target)
        for old in files().dropFirst(keep) { try? FileManager.default.removeItem(atPath: old) }
        return target
    }

    /// The newest checkpoint that reads back and belongs to `configHash`; corrupt or truncated
    /// newer ones are skipped (and reported in `skipped`), so a crash while writing costs one
    /// checkpoint interval, not the run.
    public func latest(configHash: String) -> (checkpoint: Checkpoint, path: String, skipped: [String])? {
        var skipped: [String] = []
        for file in files() {
            do {
                let checkpoint = try Checkpoint.read(path: file)
                guard checkpoint.configHash == configHash else {
                    skipped.append("\(file): written for another configuration (hash \(checkpoint.configHash))")
                    continue
                }
                return (checkpoint, file, skipped)
            } catch {
                skipped.append("\(error)")
            }
        }
        return nil
    }
}
