import MLPConfig
import MLPCore
import MLPData
import MLPRuntime

/// Everything a run needs, loaded and validated before anything is written: a bad config,
/// data file or initial-weights file fails here and leaves no output behind.
public struct PreparedRun: Sendable {
    public var config: JobConfig
    public var network: Network
    /// Scaled training examples.
    public var train: Dataset
    /// Scaled test examples, if the config names a test file or a split.
    public var test: Dataset?
    public var scaling: FeatureScaling
    public var initialParameters: [Float]
    /// Which worker runs on which CPU (from the `parallel` section and the machine).
    public var placement: PlacementPlan

    /// The configured train and test sets, validated against `network`, not yet scaled.
    public static func loadData(_ data: DataConfig, network: Network) throws -> (train: Dataset, test: Dataset?) {
        let shape = DataShape(inputCount: network.inputCount, outputCount: network.outputCount)
        var train = try DataLoader.load(data.train.spec, expecting: shape)
        var test = try data.test.map { try DataLoader.load($0.spec, expecting: shape) }
        if let split = data.split {
            (train, test) = DataSplit.split(train, testFraction: split.testFraction, seed: split.seed)
            guard train.count > 0, test!.count > 0 else {
                throw TrainingError("data.split.test_fraction \(split.testFraction) leaves an empty train or test set of \(train.count + test!.count) examples")
            }
        }
        guard train.count > 0 else { throw TrainingError("\(data.train.path): no examples") }
        return (train, test)
    }

    /// Loads and validates everything; workers are placed on `topology` (default: this machine
    /// as this process may use it).
    public init(config: JobConfig, topology: Topology? = nil) throws {
        self.config = config
        network = config.model.network
        placement = try PlacementPlan.make(topology: try topology ?? TopologyLoader.real(), settings: config.parallel.settings)
        var (train, test) = try Self.loadData(config.data, network: network)
        switch config.data.scale {
        case .none: scaling = .none
        case .constant(let factor): scaling = .constant(Float(factor))
        case .standardize: scaling = FeatureScaling.fitStandardization(to: train)
        }
        scaling.apply(to: &train)
        if test != nil { scaling.apply(to: &test!) }
        self.train = train
        self.test = test

        switch config.model.initialization {
        case .scheme(let scheme, let seed, let range):
            let parameters = FloatBuffer(count: network.parameterCount)
            let kind: InitializationScheme
            switch scheme {
            case .xavier: kind = .xavier
            case .he: kind = .he
            case .uniform: kind = .uniform(range: range)
            }
            kind.initialize(parameters, network: network, seed: seed)
            initialParameters = parameters.array
        case .from(let path):
            let file = try SafetensorsFile.read(path: path)
            initialParameters = try ModelFile.loadParameters(file, network: network, path: path)
        }
    }
}
