/// The training loop: how long, in what batches and order, and how parameters are updated.
///
/// YAML section `train`:
/// - `epochs` (required): ≥ 1.
/// - `batch_size`: examples per step, ≥ 1. Default 32.
/// - `shuffle`: reshuffle the examples every epoch. Default true.
/// - `seed`: unsigned seed of the example order. Default 1.
/// - `optimizer`: see `OptimizerConfig` (required, for its `learning_rate`).
/// - `schedule`: see `ScheduleConfig`. Default constant learning rate.
public struct TrainConfig: Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var shuffle: Bool
    public var seed: UInt64
    public var optimizer: OptimizerConfig
    public var schedule: ScheduleConfig

    public init(
        epochs: Int, batchSize: Int = 32, shuffle: Bool = true, seed: UInt64 = 1,
        optimizer: OptimizerConfig, schedule: ScheduleConfig = ScheduleConfig()
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.optimizer = optimizer
        self.schedule = schedule
    }
}

/// The update rule.
public enum OptimizerKind: String, Sendable, Equatable, CaseIterable {
    case sgd, adam
}

/// The optimizer and its hyperparameters.
///
/// YAML mapping `train.optimizer`:
/// - `kind`: `sgd` or `adam`. Default `sgd`.
/// - `learning_rate` (required): > 0.
/// - `weight_decay`: L2 penalty coefficient on the weights W (not the biases b), ≥ 0. Default 0.
/// - sgd only: `momentum` in [0, 1), default 0; `nesterov` (needs momentum > 0), default false.
/// - adam only: `beta1` and `beta2` in [0, 1), defaults 0.9 and 0.999; `epsilon` > 0, default 1e-8.
///
/// Keys of the other kind are errors. Fields of the other kind keep their defaults.
public struct OptimizerConfig: Sendable, Equatable {
    public var kind: OptimizerKind
    public var learningRate: Double
    public var momentum: Double
    public var nesterov: Bool
    public var weightDecay: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double

    public init(
        kind: OptimizerKind = .sgd, learningRate: Double, momentum: Double = 0,
        nesterov: Bool = false,
        weightDecay: Double = 0, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8
    ) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }
}

/// How the learning rate changes over training.
public enum ScheduleKind: String, Sendable, Equatable, CaseIterable {
    case constant, step, cosine
}

/// The learning-rate schedule.
///
/// YAML mapping `train.schedule`:
/// - `kind`: `constant`, `step` or `cosine`. Default `constant`.
/// - step only: `step_epochs` (required, ≥ 1): multiply the rate by `gamma` every that many
///   epochs; `gamma` in (0, 1], default 0.1.
/// - cosine only: `min_learning_rate`, ≥ 0 and ≤ the optimizer's `learning_rate`, default 0.
/// - any kind: `warmup_steps` ≥ 0, default 0: the rate rises linearly from 0 over that many steps.
///
/// Keys of another kind are errors. `stepEpochs` is 0 unless the kind is `step`; the other
/// fields keep their defaults where they do not apply.
public struct ScheduleConfig: Sendable, Equatable {
    public var kind: ScheduleKind
    public var stepEpochs: Int
    public var gamma: Double
    public var minLearningRate: Double
    public var warmupSteps: Int

    public init(
        kind: ScheduleKind = .constant, stepEpochs: Int = 0, gamma: Double = 0.1,
        minLearningRate: Double = 0, warmupSteps: Int = 0
    ) {
        self.kind = kind
        self.stepEpochs = stepEpochs
        self.gamma = gamma
        self.minLearningRate = minLearningRate
        self.warmupSteps = warmupSteps
    }
}

// MARK: - Parsing

extension TrainConfig {
    static let schema = KeySchema.mapping([
        .value("epochs"), .value("batch_size"), .value("shuffle"), .value("seed"),
        .mapping("optimizer", OptimizerConfig.schema), .mapping("schedule", ScheduleConfig.schema),
    ])

    init(reading m: MappingReader) throws {
        epochs = try m.integer("epochs", atLeast: 1)
        batchSize = try m.integer("batch_size", default: 32, atLeast: 1)
        shuffle = try m.bool("shuffle", default: true)
        seed = try m.unsigned("seed", default: 1)
        optimizer = try OptimizerConfig(reading: m.child("optimizer"))
        let schedule = try m.child("schedule")
        self.schedule = try ScheduleConfig(reading: schedule)
        if self.schedule.minLearningRate > optimizer.learningRate {
            throw schedule.error(
                at: "min_learning_rate",
                "\(schedule.keyPath("min_learning_rate")): must not exceed the learning rate "
                    + "(\(YAMLWriter.number(optimizer.learningRate)))")
        }
    }
}

extension OptimizerConfig {
    static let schema = KeySchema.mapping([
        .value("kind"), .value("learning_rate"), .value("momentum"), .value("nesterov"),
        .value("weight_decay"), .value("beta1"), .value("beta2"), .value("epsilon"),
    ])

    init(reading m: MappingReader) throws {
        self.init(learningRate: 0)
        kind = try m.keyword("kind", default: .sgd, among: OptimizerKind.allCases)
        learningRate = try m.number("learning_rate", .above(0))
        weightDecay = try m.number("weight_decay", default: 0, .atLeast(0))
        switch kind {
        case .sgd:
            for key in ["beta1", "beta2", "epsilon"] {
                try m.reject(key, appliesTo: "adam", not: "sgd")
            }
            momentum = try m.number("momentum", default: 0, .closedOpen(0, 1))
            nesterov = try m.bool("nesterov", default: false)
            if nesterov && momentum == 0 {
                throw m.error(
                    at: "nesterov", "\(m.keyPath("nesterov")): nesterov needs momentum > 0")
            }
        case .adam:
            for key in ["momentum", "nesterov"] { try m.reject(key, appliesTo: "sgd", not: "adam") }
            beta1 = try m.number("beta1", default: 0.9, .closedOpen(0, 1))
            beta2 = try m.number("beta2", default: 0.999, .closedOpen(0, 1))
            epsilon = try m.number("epsilon", default: 1e-8, .above(0))
        }
    }
}

extension ScheduleConfig {
    static let schema = KeySchema.mapping([
        .value("kind"), .value("step_epochs"), .value("gamma"), .value("min_learning_rate"),
        .value("warmup_steps"),
    ])

    init(reading m: MappingReader) throws {
        self.init()
        kind = try m.keyword("kind", default: .constant, among: ScheduleKind.allCases)
        let stepKeys = ["step_epochs", "gamma"]
        switch kind {
        case .constant:
            for key in stepKeys { try m.reject(key, appliesTo: "step", not: "constant") }
            try m.reject("min_learning_rate", appliesTo: "cosine", not: "constant")
        case .step:
            try m.reject("min_learning_rate", appliesTo: "cosine", not: "step")
            guard m.rawEntry("step_epochs") != nil else {
                throw m.missing("step_epochs", " (schedule kind step)")
            }
            stepEpochs = try m.integer("step_epochs", atLeast: 1)
            gamma = try m.number("gamma", default: 0.1, .openClosed(0, 1))
        case .cosine:
            for key in stepKeys { try m.reject(key, appliesTo: "step", not: "cosine") }
            minLearningRate = try m.number("min_learning_rate", default: 0, .atLeast(0))
        }
        warmupSteps = try m.integer("warmup_steps", default: 0, atLeast: 0)
    }
}

// MARK: - Writing

extension TrainConfig {
    func write(to w: inout YAMLWriter) {
        w.field("epochs", YAMLWriter.int(epochs))
        w.field("batch_size", YAMLWriter.int(batchSize))
        w.field("shuffle", YAMLWriter.bool(shuffle))
        w.field("seed", YAMLWriter.int(seed))
        w.mapping("optimizer") { w in
            w.field("kind", optimizer.kind.rawValue)
            w.field("learning_rate", YAMLWriter.number(optimizer.learningRate))
            switch optimizer.kind {
            case .sgd:
                w.field("momentum", YAMLWriter.number(optimizer.momentum))
                w.field("nesterov", YAMLWriter.bool(optimizer.nesterov))
                w.field("weight_decay", YAMLWriter.number(optimizer.weightDecay))
            case .adam:
                w.field("weight_decay", YAMLWriter.number(optimizer.weightDecay))
                w.field("beta1", YAMLWriter.number(optimizer.beta1))
                w.field("beta2", YAMLWriter.number(optimizer.beta2))
                w.field("epsilon", YAMLWriter.number(optimizer.epsilon))
            }
        }
        w.mapping("schedule") { w in
            w.field("kind", schedule.kind.rawValue)
            switch schedule.kind {
            case .constant: break
            case .step:
                w.field("step_epochs", YAMLWriter.int(schedule.stepEpochs))
                w.field("gamma", YAMLWriter.number(schedule.gamma))
            case .cosine:
                w.field("min_learning_rate", YAMLWriter.number(schedule.minLearningRate))
            }
            w.field("warmup_steps", YAMLWriter.int(schedule.warmupSteps))
        }
    }
}
