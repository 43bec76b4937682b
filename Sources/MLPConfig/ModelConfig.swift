/// An activation function, by its configuration name.
public enum ActivationName: String, Sendable, Equatable, CaseIterable {
    case sigmoid, tanh, relu
    case leakyRelu = "leaky_relu"
    case identity, softmax

    /// The activations allowed in hidden layers: all but softmax, which only makes sense on the
    /// output layer together with cross-entropy.
    public static let hiddenCases: [ActivationName] = allCases.filter { $0 != .softmax }
}

/// A loss function, by its configuration name.
public enum LossName: String, Sendable, Equatable, CaseIterable {
    case squaredError = "squared_error"
    case crossEntropy = "cross_entropy"
}

/// The network: its shape, activations, loss and how its parameters start.
///
/// YAML section `model`:
/// - `layers` (required): unit counts s_1 … s_nl, at least 2 entries, each ≥ 1. The first is the
///   input width, the last the output width.
/// - `activation`: hidden-layer activation, one of `sigmoid`, `tanh`, `relu`, `leaky_relu`,
///   `identity`. Default `sigmoid`.
/// - `leaky_slope`: slope of `leaky_relu` for negative inputs, 0 < slope < 1. Default 0.01.
/// - `output_activation`: any hidden activation or `softmax`. Default `softmax` when the loss is
///   `cross_entropy`, else `sigmoid`.
/// - `loss`: `squared_error` or `cross_entropy`. Default `squared_error`. `cross_entropy`
///   requires `output_activation: softmax` and `softmax` requires `cross_entropy`.
/// - `init`: see `InitConfig`.
public struct ModelConfig: Sendable, Equatable {
    public var layers: [Int]
    public var activation: ActivationName
    public var leakySlope: Double
    public var outputActivation: ActivationName
    public var loss: LossName
    public var initialization: InitConfig

    public init(
        layers: [Int], activation: ActivationName = .sigmoid, leakySlope: Double = 0.01,
        outputActivation: ActivationName = .sigmoid, loss: LossName = .squaredError,
        initialization: InitConfig = .scheme(.xavier, seed: 1, range: 0.1)
    ) {
        self.layers = layers
        self.activation = activation
        self.leakySlope = leakySlope
        self.outputActivation = outputActivation
        self.loss = loss
        self.initialization = initialization
    }
}

/// How the weights start: drawn by a scheme from a seed, or read from a model file.
///
/// YAML mapping `model.init`, either `{scheme, seed, range}` or `{from}`:
/// - `scheme`: `xavier`, `he` or `uniform`. Default `xavier`.
/// - `seed`: unsigned integer. Default 1.
/// - `range`: r > 0, weights drawn from U(-r, r); only with `scheme: uniform`. Default 0.1.
/// - `from`: path of a safetensors model file; excludes all the keys above.
///
/// `range` is stored as 0.1 for the other schemes, where it is unused.
public enum InitConfig: Sendable, Equatable {
    case scheme(InitScheme, seed: UInt64, range: Double)
    case from(path: String)
}

/// A random initialisation scheme.
public enum InitScheme: String, Sendable, Equatable, CaseIterable {
    case xavier, he, uniform
}

// MARK: - Parsing

extension ModelConfig {
    static let schema = KeySchema.mapping([
        .value("layers"), .value("activation"), .value("leaky_slope"), .value("output_activation"),
        .value("loss"), .mapping("init", InitConfig.schema),
    ])

    init(reading m: MappingReader) throws {
        layers = try m.value("layers", default: nil) {
            try $0.integerList($1, minCount: 2, atLeast: 1)
        }
        if let entry = m.entry("activation"), case .scalar("softmax", _) = entry.value.content {
            throw m.error(
                at: "activation",
                "\(m.keyPath("activation")): softmax is only for the output layer "
                    + "(output_activation); hidden layers take one of "
                    + ActivationName.hiddenCases.map(\.rawValue).joined(separator: ", "))
        }
        activation = try m.keyword(
            "activation", default: .sigmoid, among: ActivationName.hiddenCases)
        leakySlope = try m.number("leaky_slope", default: 0.01, .open(0, 1))
        loss = try m.keyword("loss", default: .squaredError, among: LossName.allCases)
        outputActivation = try m.keyword(
            "output_activation", default: loss == .crossEntropy ? .softmax : .sigmoid,
            among: ActivationName.allCases)
        let output = m.keyPath("output_activation")
        if loss == .crossEntropy && outputActivation != .softmax {
            throw m.error(
                at: "output_activation",
                "\(output): loss cross_entropy needs output_activation softmax, "
                    + "found '\(outputActivation.rawValue)'"
            )
        }
        if outputActivation == .softmax && loss != .crossEntropy {
            let given = m.has("loss") ? "" : ", the default"
            throw m.error(
                at: "output_activation",
                "\(output): softmax needs loss cross_entropy, "
                    + "but \(m.keyPath("loss")) is \(loss.rawValue)\(given)"
            )
        }
        if outputActivation == .softmax, let outputs = layers.last, outputs < 2 {
            throw m.error(
                at: "layers",
                "\(m.keyPath("layers")): a softmax output needs at least 2 units, found \(outputs)")
        }
        initialization = try InitConfig(reading: m.child("init"))
    }
}

extension InitConfig {
    static let schema = KeySchema.mapping([
        .value("scheme"), .value("seed"), .value("range"), .value("from"),
    ])

    init(reading m: MappingReader) throws {
        if let path = try m.optional("from", { try $0.string($1, "a model file path") }) {
            if m.has("scheme") {
                throw m.error(
                    at: "scheme", atValue: false, "\(m.path): give either scheme or from, not both")
            }
            try m.reject("seed", appliesTo: "scheme initialisation", not: "from")
            try m.reject("range", appliesTo: "scheme uniform", not: "from")
            self = .from(path: path)
            return
        }
        let scheme = try m.keyword("scheme", default: .xavier, among: InitScheme.allCases)
        let seed = try m.unsigned("seed", default: 1)
        var range = 0.1
        if scheme == .uniform {
            range = try m.number("range", default: range, .above(0))
        } else {
            try m.reject("range", appliesTo: "scheme uniform", not: scheme.rawValue)
        }
        self = .scheme(scheme, seed: seed, range: range)
    }
}

// MARK: - Writing

extension ModelConfig {
    func write(to w: inout YAMLWriter) {
        w.field("layers", YAMLWriter.list(layers))
        w.field("activation", activation.rawValue)
        w.field("leaky_slope", YAMLWriter.number(leakySlope))
        w.field("output_activation", outputActivation.rawValue)
        w.field("loss", loss.rawValue)
        w.mapping("init") { w in
            switch initialization {
            case .scheme(let scheme, let seed, let range):
                w.field("scheme", scheme.rawValue)
                w.field("seed", YAMLWriter.int(seed))
                if scheme == .uniform { w.field("range", YAMLWriter.number(range)) }
            case .from(let path):
                w.field("from", YAMLWriter.string(path))
            }
        }
    }
}
