import Foundation
import Testing
@testable import MLPCore

@Suite struct OptimizerTests {
    // One weight and one bias: Network [1, 1] has W = p[0], b = p[1].
    let net = Network(sizes: [1, 1], outputActivation: .identity)

    func run(_ kind: OptimizerKind, decay: Float, steps: [(Float, Float)], m: Int, α: Float) -> [Float] {
        let optimizer = Optimizer(kind: kind, weightDecay: decay, network: net)
        let p = FloatBuffer([1.0, 1.0])
        for (gw, gb) in steps {
            optimizer.step(parameters: p, gradientSum: FloatBuffer([gw, gb]), batchSize: m, learningRate: α)
        }
        return p.array
    }

    @Test func plainSGDIsTheDesignsGradientStep() {
        // W ← W − α ∇W with ∇W the mean: sum 4 over m = 2 → mean 2; 1 − 0.5·2 = 0.
        #expect(run(.sgd(momentum: 0, nesterov: false), decay: 0, steps: [(4, -2)], m: 2, α: 0.5) == [0, 1.5])
    }

    @Test func weightDecayReachesWeightsOnly() {
        // W: 1 − 0.5·(0 + 0.1·1) = 0.95; b untouched by λ.
        #expect(run(.sgd(momentum: 0, nesterov: false), decay: 0.1, steps: [(0, 0)], m: 1, α: 0.5) == [0.95, 1])
    }

    @Test func momentumAndNesterov() {
        // v1 = g = 1, θ = 1 − 0.1 = 0.9; v2 = 0.5 + 1 = 1.5, θ = 0.9 − 0.15 = 0.75.
        let heavy = run(.sgd(momentum: 0.5, nesterov: false), decay: 0, steps: [(1, 0), (1, 0)], m: 1, α: 0.1)
        #expect(abs(heavy[0] - 0.75) < 1e-6)
        // Nesterov: θ −= α (g + μ v): 1 − 0.1·1.5 = 0.85; then 0.85 − 0.1·(1 + 0.75) = 0.675.
        let nesterov = run(.sgd(momentum: 0.5, nesterov: true), decay: 0, steps: [(1, 0), (1, 0)], m: 1, α: 0.1)
        #expect(abs(nesterov[0] - 0.675) < 1e-6)
    }

    @Test func adamFirstStepMovesByTheLearningRate() {
        // With bias correction, m̂ = g and v̂ = g², so the first step is α·g/(|g| + ε) ≈ α.
        let p = run(.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), decay: 0, steps: [(3, -5)], m: 1, α: 0.01)
        #expect(abs(p[0] - 0.99) < 1e-6)
        #expect(abs(p[1] - 1.01) < 1e-6)
    }

    @Test func schedules() {
        let constant = LearningRateSchedule(base: 2)
        #expect(constant.rate(step: 99, epoch: 9, totalSteps: 100) == 2)
        let step = LearningRateSchedule(base: 1, kind: .step(stepEpochs: 3, gamma: 0.5))
        #expect(step.rate(step: 0, epoch: 2, totalSteps: 10) == 1)
        #expect(step.rate(step: 0, epoch: 3, totalSteps: 10) == 0.5)
        #expect(step.rate(step: 0, epoch: 7, totalSteps: 10) == 0.25)
        let cosine = LearningRateSchedule(base: 1, kind: .cosine(minimum: 0.1))
        #expect(cosine.rate(step: 0, epoch: 0, totalSteps: 11) == 1)
        #expect(abs(cosine.rate(step: 5, epoch: 0, totalSteps: 11) - 0.55) < 1e-12)
        #expect(abs(cosine.rate(step: 10, epoch: 0, totalSteps: 11) - 0.1) < 1e-12)
        let warm = LearningRateSchedule(base: 1, warmupSteps: 4)
        #expect(warm.rate(step: 0, epoch: 0, totalSteps: 10) == 0.25)
        #expect(warm.rate(step: 3, epoch: 0, totalSteps: 10) == 1)
        #expect(warm.rate(step: 4, epoch: 0, totalSteps: 10) == 1)
    }

    @Test func initialisationIsSeededAndScaled() {
        let net = Network(sizes: [100, 50, 10])
        let a = FloatBuffer(count: net.parameterCount), b = FloatBuffer(count: net.parameterCount)
        InitializationScheme.xavier.initialize(a, network: net, seed: 9)
        InitializationScheme.xavier.initialize(b, network: net, seed: 9)
        #expect(a.array == b.array)
        let r = Float((6.0 / 150).squareRoot())
        let w0 = net.weightOffset(0)..<net.biasOffset(0)
        #expect(w0.allSatisfy { abs(a[$0]) <= r })
        #expect((net.biasOffset(0)..<net.weightOffset(1)).allSatisfy { a[$0] == 0 })
        InitializationScheme.xavier.initialize(b, network: net, seed: 10)
        #expect(a.array != b.array)
        let he = FloatBuffer(count: net.parameterCount)
        InitializationScheme.he.initialize(he, network: net, seed: 1)
        let weights = w0.map { Double(he[$0]) }
        let variance = weights.reduce(0) { $0 + $1 * $1 } / Double(weights.count)
        #expect(abs(variance - 2.0 / 100) < 0.002)
    }

    @Test func generatorIsReproducibleAndUniform() {
        var g = SeededGenerator(seed: 42), h = SeededGenerator(seed: 42)
        #expect((0..<5).map { _ in g.next() } == (0..<5).map { _ in h.next() })
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<10_000 { counts[g.nextIndex(below: 10)] += 1 }
        #expect(counts.allSatisfy { $0 > 900 && $0 < 1100 })
        let permutation = g.permutation(count: 100)
        #expect(permutation.sorted() == Array(0..<100))
    }
}

@Suite struct OptimizerSliceTests {
    /// Updating disjoint slices (as workers do) gives the same bytes as one full update.
    @Test(arguments: [OptimizerKind.sgd(momentum: 0.9, nesterov: true), .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8)])
    func slicedUpdateEqualsFullUpdate(_ kind: OptimizerKind) {
        let net = Network(sizes: [7, 5, 3])
        var random = SeededGenerator(seed: 8)
        let start = (0..<net.parameterCount).map { _ in Float(random.nextUnitDouble() - 0.5) }
        let gradient = FloatBuffer((0..<net.parameterCount).map { _ in Float(random.nextUnitDouble() - 0.5) })
        let full = FloatBuffer(start), sliced = FloatBuffer(start)
        let a = Optimizer(kind: kind, weightDecay: 0.01, network: net)
        let b = Optimizer(kind: kind, weightDecay: 0.01, network: net)
        for _ in 0..<3 {
            a.step(parameters: full, gradientSum: gradient, batchSize: 4, learningRate: 0.1)
            b.beginStep()
            let cuts = [0, 5, 13, 35, 36, net.parameterCount]
            sliced.withUnsafeMutableBufferPointer { p in
                gradient.withUnsafeBufferPointer { g in
                    for (lo, hi) in zip(cuts, cuts.dropFirst()) {
                        b.apply(parameters: p.baseAddress!, gradientSum: g.baseAddress!, slice: lo..<hi, batchSize: 4, learningRate: 0.1)
                    }
                }
            }
        }
        #expect(full.array.map(\.bitPattern) == sliced.array.map(\.bitPattern))
    }
}
