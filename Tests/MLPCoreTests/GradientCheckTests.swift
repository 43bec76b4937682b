import Testing
@testable import MLPCore

/// Finite differences in Double against the equations, for every activation with every loss.
@Suite struct GradientCheckTests {
    static let hidden: [Activation] = [.sigmoid, .tanh, .relu, .leakyRelu(slope: 0.01), .identity]

    struct Pair: CustomTestStringConvertible, Sendable {
        var hidden: Activation, output: Activation, loss: Loss
        var testDescription: String { "\(hidden)/\(output)/\(loss)" }
    }

    static let pairs: [Pair] =
        hidden.flatMap { h in hidden.map { Pair(hidden: h, output: $0, loss: .squaredError) } }
        + hidden.map { Pair(hidden: $0, output: .softmax, loss: .crossEntropy) }

    @Test(arguments: pairs)
    func finiteDifferencesMatchBackprop(_ pair: Pair) {
        let net = Network(sizes: [4, 6, 5, 3], hiddenActivation: pair.hidden, outputActivation: pair.output, loss: pair.loss)
        var random = SeededGenerator(seed: 21)
        let inputs = (0..<5).map { _ in (0..<4).map { _ in Float(random.nextUnitDouble() * 2 - 1) } }
        let targets: [[Float]] = (0..<5).map { i in
            pair.loss == .crossEntropy ? (0..<3).map { Float($0 == i % 3 ? 1 : 0) }
                                       : (0..<3).map { _ in Float(random.nextUnitDouble()) }
        }
        let p = FloatBuffer(count: net.parameterCount)
        InitializationScheme.uniform(range: 0.9).initialize(p, network: net, seed: 2)
        for l in 0..<net.layerCount { for o in 0..<net.sizes[l + 1] { p[net.biasOffset(l) + o] = 0.05 * Float(o + 1) } }
        let report = GradientCheck.run(network: net, parameters: p.array, inputs: inputs, targets: targets)
        #expect(report.maxRelativeError <= 1e-6, "worst at parameter \(report.worstIndex)")
        #expect(report.kernelError < 1e-5)
    }

    /// A wrong gradient must fail the check: the check itself can fail.
    @Test func checkDetectsAWrongGradient() {
        // Identity hidden units with a sigmoid output: compare against a network whose hidden
        // activation differs, so the analytic gradient is of a different function.
        let net = Network(sizes: [3, 4, 2], hiddenActivation: .tanh)
        let wrong = Network(sizes: [3, 4, 2], hiddenActivation: .sigmoid)
        let x: [[Double]] = [[0.3, -0.2, 0.9]], y: [[Double]] = [[1, 0]]
        let p = FloatBuffer(count: net.parameterCount)
        InitializationScheme.xavier.initialize(p, network: net, seed: 4)
        let params = p.array.map(Double.init)
        let analytic = ReferenceBackprop.gradient(wrong, parameters: params, input: x[0], target: y[0])
        var q = params
        var worst = 0.0
        for j in 0..<params.count {
            q[j] = params[j] + 1e-5
            let plus = ReferenceBackprop.cost(net, parameters: q, input: x[0], target: y[0])
            q[j] = params[j] - 1e-5
            let minus = ReferenceBackprop.cost(net, parameters: q, input: x[0], target: y[0])
            q[j] = params[j]
            let numeric = (plus - minus) / 2e-5
            worst = max(worst, abs(numeric - analytic[j]) / max(abs(numeric), abs(analytic[j]), 1e-8))
        }
        #expect(worst > 1e-2)
    }
}
