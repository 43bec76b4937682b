import Testing
@testable import MLPCore

/// Fills `count` rows of a workspace buffer from random values.
func randomRows(_ buffer: FloatBuffer, rows: Int, width: Int, using random: inout SeededGenerator, oneHot: Bool = false) {
    for r in 0..<rows {
        let hot = random.nextIndex(below: width)
        for j in 0..<width {
            buffer[r * width + j] = oneHot ? (j == hot ? 1 : 0) : Float(random.nextUnitDouble() * 2 - 1)
        }
    }
}

func initialisedParameters(_ network: Network, seed: UInt64 = 7) -> FloatBuffer {
    let p = FloatBuffer(count: network.parameterCount)
    InitializationScheme.uniform(range: 0.8).initialize(p, network: network, seed: seed)
    // Non-zero biases so that (13) and the bias add are exercised.
    for l in 0..<network.layerCount {
        for o in 0..<network.sizes[l + 1] { p[network.biasOffset(l) + o] = Float(o % 3) * 0.1 - 0.1 }
    }
    return p
}

@Suite struct BackpropTests {
    /// The 2-2-1 sigmoid network of the reference document, worked out by hand:
    ///   x = (0.5, −1), y = 1, W1 = [[0.1, 0.2], [−0.3, 0.4]], b1 = (0, 0.1), W2 = [0.5, −0.6], b2 = 0.2
    ///   z2 = (0.05 − 0.2, −0.15 − 0.4 + 0.1) = (−0.15, −0.45);  a2 = σ(z2) = (0.4625702, 0.3893608)
    ///   z3 = 0.5·0.4625702 − 0.6·0.3893608 + 0.2 = 0.1976686;  a3 = σ(z3) = 0.5492569
    ///   J  = ½ (0.5492569 − 1)² = 0.1015847
    ///   δ3 = −(1 − a3)·a3(1 − a3) = −0.1115922                                  (10)
    ///   δ2 = W2ᵀ δ3 ∘ a2(1 − a2) = (−0.0138709, 0.0159192)                      (11)
    ///   ∇W2 = δ3 a2ᵀ = (−0.0516192, −0.0434496);  ∇b2 = δ3                        (12)(13)
    ///   ∇W1 = δ2 xᵀ = [[−0.0069354, 0.0138709], [0.0079596, −0.0159192]];  ∇b1 = δ2
    static let handNetwork = Network(sizes: [2, 2, 1])
    static let handParameters: [Float] = [0.1, 0.2, -0.3, 0.4, 0, 0.1, 0.5, -0.6, 0.2]
    static let handGradient: [Double] = [-0.0069354, 0.0138709, 0.0079596, -0.0159192, -0.0138709, 0.0159192,
                                         -0.0516192, -0.0434496, -0.1115922]

    @Test func tinyNetworkMatchesHandWorkedNumbers() {
        let net = Self.handNetwork
        let workspace = BatchWorkspace(network: net, capacity: 1)
        workspace.inputs[0] = 0.5; workspace.inputs[1] = -1; workspace.targets[0] = 1
        let p = FloatBuffer(Self.handParameters)
        let g = FloatBuffer(count: net.parameterCount)
        var cost = 0.0
        p.withUnsafeBufferPointer { pp in
            g.withUnsafeMutableBufferPointer { gg in
                workspace.forward(parameters: pp.baseAddress!, count: 1)
                cost = workspace.backward(parameters: pp.baseAddress!, gradient: gg.baseAddress!, count: 1)
            }
        }
        #expect(abs(Double(workspace.activations[1][0]) - 0.4625702) < 1e-6)
        #expect(abs(Double(workspace.activations[1][1]) - 0.3893608) < 1e-6)
        #expect(abs(Double(workspace.outputs[0]) - 0.5492569) < 1e-6)
        #expect(abs(cost - 0.1015847) < 1e-6)
        for (j, expected) in Self.handGradient.enumerated() {
            #expect(abs(Double(g[j]) - expected) < 1e-6, "parameter \(j)")
        }
        // The Double reference from the equations agrees too.
        let reference = ReferenceBackprop.gradient(net, parameters: Self.handParameters.map(Double.init), input: [0.5, -1], target: [1])
        for (j, expected) in Self.handGradient.enumerated() { #expect(abs(reference[j] - expected) < 1e-6) }
    }

    static let networks: [Network] = [
        Network(sizes: [5, 7, 3]),
        Network(sizes: [9, 40, 33, 4], hiddenActivation: .tanh, outputActivation: .identity),
        Network(sizes: [70, 13, 10], hiddenActivation: .relu, outputActivation: .softmax, loss: .crossEntropy),
    ]

    /// The batched gradient sum equals the per-example gradients added one at a time, to the bit
    /// (both run the same FMA chain over examples), so the mean equals the mean too.
    @Test(arguments: networks)
    func batchedGradientEqualsSumOfPerExampleGradients(_ net: Network) {
        let m = 37
        var random = SeededGenerator(seed: 3)
        let batch = BatchWorkspace(network: net, capacity: m)
        randomRows(batch.inputs, rows: m, width: net.inputCount, using: &random)
        randomRows(batch.targets, rows: m, width: net.outputCount, using: &random, oneHot: true)
        let p = initialisedParameters(net)
        let batched = FloatBuffer(count: net.parameterCount)
        let single = FloatBuffer(count: net.parameterCount)
        let one = BatchWorkspace(network: net, capacity: 1)
        var batchedCost = 0.0, singleCost = 0.0
        p.withUnsafeBufferPointer { pp in
            batched.withUnsafeMutableBufferPointer { g in
                batch.forward(parameters: pp.baseAddress!, count: m)
                batchedCost = batch.backward(parameters: pp.baseAddress!, gradient: g.baseAddress!, count: m)
            }
            single.withUnsafeMutableBufferPointer { g in
                for i in 0..<m {
                    for j in 0..<net.inputCount { one.inputs[j] = batch.inputs[i * net.inputCount + j] }
                    for j in 0..<net.outputCount { one.targets[j] = batch.targets[i * net.outputCount + j] }
                    one.forward(parameters: pp.baseAddress!, count: 1)
                    singleCost += one.backward(parameters: pp.baseAddress!, gradient: g.baseAddress!, count: 1)
                }
            }
        }
        #expect(batched.array.map(\.bitPattern) == single.array.map(\.bitPattern))
        #expect(abs(batchedCost - singleCost) <= 1e-12 * abs(singleCost))
    }

    /// An example's forward result does not depend on which batch row it occupies or what else
    /// is in the batch: the basis of thread-count-invariant training.
    @Test func forwardOfAnExampleIsIndependentOfItsBatch() {
        let net = Network(sizes: [300, 50, 10])
        var random = SeededGenerator(seed: 11)
        let big = BatchWorkspace(network: net, capacity: 20)
        randomRows(big.inputs, rows: 20, width: net.inputCount, using: &random)
        let one = BatchWorkspace(network: net, capacity: 1)
        for j in 0..<net.inputCount { one.inputs[j] = big.inputs[13 * net.inputCount + j] }
        let p = initialisedParameters(net)
        p.withUnsafeBufferPointer { pp in
            big.forward(parameters: pp.baseAddress!, count: 20)
            one.forward(parameters: pp.baseAddress!, count: 1)
        }
        for j in 0..<net.outputCount {
            #expect(big.outputs[13 * net.outputCount + j].bitPattern == one.outputs[j].bitPattern)
        }
    }

    /// The fast Float path agrees with the plain Double equations for every layer type.
    @Test(arguments: networks)
    func fastPathAgreesWithReference(_ net: Network) {
        var random = SeededGenerator(seed: 5)
        let inputs = (0..<6).map { _ in (0..<net.inputCount).map { _ in Float(random.nextUnitDouble() - 0.5) } }
        let targets = (0..<6).map { i in (0..<net.outputCount).map { Float($0 == i % net.outputCount ? 1 : 0) } }
        let report = GradientCheck.run(network: net, parameters: initialisedParameters(net).array, inputs: inputs, targets: targets)
        #expect(report.kernelError < 1e-5)
    }
}
