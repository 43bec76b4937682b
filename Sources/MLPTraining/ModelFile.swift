import MLPCore
import MLPData

/// A trained model as a file: the network's weights in safetensors, with the architecture and
/// the feature scaling in the header, so `mlpd eval`/`predict` (and NumPy or PyTorch users)
/// need nothing else.
///
/// Tensors: `layers.{l}.weight` [s_{l+1}, s_l] and `layers.{l}.bias` [s_{l+1}], float32, l from 0;
/// with standardisation also `scaling.mean` and `scaling.std` [s_1].
/// `__metadata__`: `format` = `mlpd-mlp`, `layers` (e.g. `64,64,10`), `activation`,
/// `output_activation`, `loss`, `scaling` (`none`, `constant`, `standardize`) and
/// `scale_factor` for a constant.
public struct ModelFile: Sendable {
    public var network: Network
    /// W's and b's in the slab layout of `network`.
    public var parameters: [Float]
    public var scaling: FeatureScaling

    public init(network: Network, parameters: [Float], scaling: FeatureScaling) {
        precondition(parameters.count == network.parameterCount)
        self.network = network
        self.parameters = parameters
        self.scaling = scaling
    }

    public static let formatName = "mlpd-mlp"

    // MARK: - Writing

    public func safetensors() -> SafetensorsFile {
        var tensors: [SafetensorsTensor] = []
        for l in 0..<network.layerCount {
            let inCount = network.sizes[l], outCount = network.sizes[l + 1]
            let w = network.weightOffset(l), b = network.biasOffset(l)
            tensors.append(SafetensorsTensor(name: "layers.\(l).weight", shape: [outCount, inCount],
                                             values: Array(parameters[w..<b])))
            tensors.append(SafetensorsTensor(name: "layers.\(l).bias", shape: [outCount],
                                             values: Array(parameters[b..<(b + outCount)])))
        }
        var metadata = [
            "format": Self.formatName,
            "layers": network.sizes.map(String.init).joined(separator: ","),
            "activation": Self.name(of: network.hiddenActivation),
            "output_activation": Self.name(of: network.outputActivation),
            "loss": network.loss == .squaredError ? "squared_error" : "cross_entropy",
        ]
        if case .leakyRelu(let slope) = network.hiddenActivation { metadata["leaky_slope"] = "\(slope)" }
        switch scaling {
        case .none:
            metadata["scaling"] = "none"
        case .constant(let factor):
            metadata["scaling"] = "constant"
            metadata["scale_factor"] = "\(factor)"
        case .standardize(let mean, let std):
            metadata["scaling"] = "standardize"
            tensors.append(SafetensorsTensor(name: "scaling.mean", shape: [mean.count], values: mean))
            tensors.append(SafetensorsTensor(name: "scaling.std", shape: [std.count], values: std))
        }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Writes the model atomically.
    public func write(to path: String) throws {
        try safetensors().write(to: path)
    }

    // MARK: - Reading

    /// Reads a model written by `write(to:)`; every inconsistency is an error naming the file.
    public static func read(path: String) throws -> ModelFile {
        let file = try SafetensorsFile.read(path: path)
        func fail(_ message: String) -> TrainingError { TrainingError("\(path): \(message)") }
        func meta(_ key: String) throws -> String {
            guard let value = file.metadata[key] else { throw fail("not an mlpd model: __metadata__ has no '\(key)'") }
            return value
        }
        guard try meta("format") == formatName else { throw fail("not an mlpd model: format is '\(file.metadata["format"] ?? "")'") }
        let sizes = try meta("layers").split(separator: ",").map { part -> Int in
            guard let n = Int(part), n >= 1 else { throw fail("bad layers '\(file.metadata["layers"] ?? "")' in __metadata__") }
            return n
        }
        guard sizes.count >= 2 else { throw fail("bad layers in __metadata__: need at least 2") }
        let slope = Float(file.metadata["leaky_slope"] ?? "0.01") ?? 0.01
        guard let hidden = activation(named: try meta("activation"), slope: slope),
              let output = activation(named: try meta("output_activation"), slope: slope) else {
            throw fail("unknown activation in __metadata__")
        }
        let loss: Loss
        switch try meta("loss") {
        case "squared_error": loss = .squaredError
        case "cross_entropy": loss = .crossEntropy
        case let other: throw fail("unknown loss '\(other)' in __metadata__")
        }
        guard hidden != .softmax, (output == .softmax) == (loss == .crossEntropy) else {
            throw fail("inconsistent activations and loss in __metadata__")
        }
        let network = Network(sizes: sizes, hiddenActivation: hidden, outputActivation: output, loss: loss)
        let parameters = try loadParameters(file, network: network, path: path)
        let scaling: FeatureScaling
        switch try meta("scaling") {
        case "none": scaling = .none
        case "constant":
            guard let factor = Float(try meta("scale_factor")), factor.isFinite, factor > 0 else { throw fail("bad scale_factor in __metadata__") }
            scaling = .constant(factor)
        case "standardize":
            guard let mean = file.tensor(named: "scaling.mean"), let std = file.tensor(named: "scaling.std"),
                  mean.shape == [sizes[0]], std.shape == [sizes[0]] else {
                throw fail("scaling is standardize but scaling.mean/scaling.std [\(sizes[0])] are missing or misshapen")
            }
            scaling = .standardize(mean: mean.values, std: std.values)
        case let other: throw fail("unknown scaling '\(other)' in __metadata__")
        }
        return ModelFile(network: network, parameters: parameters, scaling: scaling)
    }

    /// The W's and b's of `network` from a safetensors file (also used for `init: {from: …}`).
    public static func loadParameters(_ file: SafetensorsFile, network: Network, path: String) throws -> [Float] {
        var parameters = [Float](repeating: 0, count: network.parameterCount)
        for l in 0..<network.layerCount {
            let inCount = network.sizes[l], outCount = network.sizes[l + 1]
            for (name, shape, offset) in [("layers.\(l).weight", [outCount, inCount], network.weightOffset(l)),
                                          ("layers.\(l).bias", [outCount], network.biasOffset(l))] {
                guard let tensor = file.tensor(named: name) else {
                    throw TrainingError("\(path): no tensor '\(name)' (expected shape \(shape) for layers \(network.sizes))")
                }
                guard tensor.shape == shape else {
                    throw TrainingError("\(path): tensor '\(name)' has shape \(tensor.shape), but layers \(network.sizes) need \(shape)")
                }
                if let bad = tensor.values.firstIndex(where: { !$0.isFinite }) {
                    throw TrainingError("\(path): tensor '\(name)' has a non-finite value at index \(bad)")
                }
                parameters.replaceSubrange(offset..<(offset + tensor.values.count), with: tensor.values)
            }
        }
        return parameters
    }

    static func name(of activation: Activation) -> String {
        switch activation {
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .relu: return "relu"
        case .leakyRelu: return "leaky_relu"
        case .identity: return "identity"
        case .softmax: return "softmax"
        }
    }

    static func activation(named name: String, slope: Float) -> Activation? {
        switch name {
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        case "relu": return .relu
        case "leaky_relu": return .leakyRelu(slope: slope)
        case "identity": return .identity
        case "softmax": return .softmax
        default: return nil
        }
    }
}
