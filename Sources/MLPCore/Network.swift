/// The shape of a multilayer perceptron and where each parameter lives in the flat slab.
///
/// Size letters used throughout MLPCore: `L` weight layers (n_l − 1), `I` inputs and `O`
/// outputs of one weight layer, `B` examples in a batch. Layer `l` (0-based) maps
/// s_l = `sizes[l]` units to s_{l+1} = `sizes[l + 1]` units with W^(l) [O × I] row-major and
/// b^(l) [O]. All W's and b's are packed into one slab: W^(0), b^(0), W^(1), b^(1), …
public struct Network: Sendable, Equatable, Hashable {
    /// s_1 … s_nl: units per layer, input layer first.
    public let sizes: [Int]
    /// f of the hidden layers.
    public let hiddenActivation: Activation
    /// f of the output layer.
    public let outputActivation: Activation
    public let loss: Loss

    public init(sizes: [Int], hiddenActivation: Activation = .sigmoid,
                outputActivation: Activation = .sigmoid, loss: Loss = .squaredError) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 >= 1 }, "a network needs ≥ 2 layers of ≥ 1 unit")
        precondition(hiddenActivation != .softmax, "softmax is an output activation only")
        precondition((outputActivation == .softmax) == (loss == .crossEntropy),
                     "cross_entropy goes with a softmax output, and softmax with cross_entropy")
        self.sizes = sizes
        self.hiddenActivation = hiddenActivation
        self.outputActivation = outputActivation
        self.loss = loss
    }

    /// Number of weight layers, L = n_l − 1.
    public var layerCount: Int { sizes.count - 1 }
    public var inputCount: Int { sizes[0] }
    public var outputCount: Int { sizes[sizes.count - 1] }

    /// f of weight layer `l`'s outputs.
    public func activation(ofLayer l: Int) -> Activation {
        l == layerCount - 1 ? outputActivation : hiddenActivation
    }

    /// Offset of W^(l) in the parameter slab.
    public func weightOffset(_ l: Int) -> Int {
        var offset = 0
        for k in 0..<l { offset += sizes[k + 1] * (sizes[k] + 1) }
        return offset
    }

    /// Offset of b^(l) in the parameter slab.
    public func biasOffset(_ l: Int) -> Int { weightOffset(l) + sizes[l + 1] * sizes[l] }

    /// Total number of parameters (all W's and b's).
    public var parameterCount: Int { weightOffset(layerCount) }

    /// Multiply–adds of one example's forward pass: Σ_l s_l·s_{l+1}.
    public var multiplyAddsPerExample: Int {
        (0..<layerCount).reduce(0) { $0 + sizes[$1] * sizes[$1 + 1] }
    }

    /// Floating-point operations of one example's training step, counting a multiply–add as 2:
    /// forward 2·Σ_l s_l s_{l+1}, ∇W 2·Σ_l s_l s_{l+1}, and δ back-propagation 2·Σ_{l≥1} s_l s_{l+1}
    /// (no δ is formed for the input layer). Element-wise work (activations, biases, the update)
    /// is not counted.
    public var flopsPerTrainingExample: Int {
        let macs = multiplyAddsPerExample
        return 2 * macs + 2 * macs + 2 * (macs - sizes[0] * sizes[1])
    }

    /// The slab ranges that hold weights (weight decay applies there); the rest are biases.
    public func weightRanges() -> [Range<Int>] {
        (0..<layerCount).map { weightOffset($0)..<biasOffset($0) }
    }
}
