import Foundation

/// Optimizer settings. With `sgd`, momentum 0 and weight decay 0 the step is the design's plain
/// gradient descent, W ← W − α ∇W, b ← b − α ∇b.
public enum OptimizerKind: Sendable, Equatable {
    /// v ← μv + g; θ ← θ − α v (Nesterov: θ ← θ − α (g + μv)).
    case sgd(momentum: Float, nesterov: Bool)
    /// Adam (Kingma & Ba) with bias correction.
    case adam(beta1: Float, beta2: Float, epsilon: Float)
}

/// Applies one update per step to the whole parameter slab, in one flat loop per range.
///
/// The gradient slab holds *sums* over the minibatch; the step scales it by 1/m and adds the
/// L2 weight-decay term λW to weights only (J + λ/2 ‖W‖²), never to biases.
public final class Optimizer: @unchecked Sendable {
    public let kind: OptimizerKind
    public let weightDecay: Float
    /// Momentum buffer (sgd) or first moment (adam); empty for plain sgd.
    public let firstMoment: FloatBuffer
    /// Second moment (adam only).
    public let secondMoment: FloatBuffer
    /// Steps taken so far (Adam's bias correction uses it; checkpoints store it).
    public var stepCount: Int = 0
    private let weightRanges: [Range<Int>]
    private let parameterCount: Int

    public init(kind: OptimizerKind, weightDecay: Float, network: Network) {
        self.kind = kind
        self.weightDecay = weightDecay
        parameterCount = network.parameterCount
        weightRanges = network.weightRanges()
        switch kind {
        case .sgd(let momentum, _):
            firstMoment = FloatBuffer(count: momentum == 0 ? 0 : parameterCount)
            secondMoment = FloatBuffer(count: 0)
        case .adam:
            firstMoment = FloatBuffer(count: parameterCount)
            secondMoment = FloatBuffer(count: parameterCount)
        }
    }

    /// θ ← update(θ, g/m) with learning rate α, over the whole slab.
    public func step(parameters: FloatBuffer, gradientSum: FloatBuffer, batchSize m: Int, learningRate α: Float) {
        precondition(parameters.count == parameterCount && gradientSum.count == parameterCount && m > 0)
        beginStep()
        parameters.withUnsafeMutableBufferPointer { p in
            gradientSum.withUnsafeBufferPointer { g in
                apply(parameters: p.baseAddress!, gradientSum: g.baseAddress!, slice: 0..<parameterCount,
                      batchSize: m, learningRate: α)
            }
        }
    }

    /// The weights' update as an `SGDStep` when it is plain SGD (no momentum), which the ∇W
    /// kernel can apply to each gradient tile in registers; nil for momentum and Adam.
    public func plainStep(batchSize m: Int, learningRate α: Float) -> SGDStep? {
        guard case .sgd(let μ, _) = kind, μ == 0 else { return nil }
        return SGDStep(rate: α, scale: 1 / Float(m), decay: weightDecay)
    }

    /// Counts a step (once per step, before any `apply`): Adam's bias correction uses it.
    public func beginStep() { stepCount += 1 }

    /// The update of one step on `slice` of the slab only, so that workers can update disjoint
    /// slices in parallel. Weights in the slice get λW, biases not.
    public func apply(parameters: UnsafeMutablePointer<Float>, gradientSum: UnsafePointer<Float>, slice: Range<Int>,
                      batchSize m: Int, learningRate α: Float) {
        let p = UnsafeMutableBufferPointer(start: parameters, count: parameterCount)
        let g = UnsafeBufferPointer(start: gradientSum, count: parameterCount)
        let scale = 1 / Float(m)
        var position = slice.lowerBound
        for range in weightRanges where range.upperBound > position && range.lowerBound < slice.upperBound {
            let weights = max(range.lowerBound, position)..<min(range.upperBound, slice.upperBound)
            if position < weights.lowerBound { update(p, g, position..<weights.lowerBound, scale: scale, decay: 0, α: α) }
            update(p, g, weights, scale: scale, decay: weightDecay, α: α)
            position = weights.upperBound
        }
        if position < slice.upperBound { update(p, g, position..<slice.upperBound, scale: scale, decay: 0, α: α) }
    }

    private func update(_ p: UnsafeMutableBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>,
                        _ range: Range<Int>, scale: Float, decay λ: Float, α: Float) {
        switch kind {
        case .sgd(let μ, let nesterov):
            if μ == 0 {
                let step = SGDStep(rate: α, scale: scale, decay: λ)
                for i in range { p[i] = step.updated(p[i], gradientSum: g[i]) }
                return
            }
            firstMoment.withUnsafeMutableBufferPointer { v in
                for i in range {
                    let gradient = g[i] * scale + λ * p[i]
                    v[i] = μ * v[i] + gradient
                    p[i] -= α * (nesterov ? gradient + μ * v[i] : v[i])
                }
            }
        case .adam(let β1, let β2, let ε):
            let correction1 = 1 - Float(pow(Double(β1), Double(stepCount)))
            let correction2 = 1 - Float(pow(Double(β2), Double(stepCount)))
            firstMoment.withUnsafeMutableBufferPointer { m1 in
                secondMoment.withUnsafeMutableBufferPointer { m2 in
                    for i in range {
                        let gradient = g[i] * scale + λ * p[i]
                        m1[i] = β1 * m1[i] + (1 - β1) * gradient
                        m2[i] = β2 * m2[i] + (1 - β2) * gradient * gradient
                        let mHat = m1[i] / correction1, vHat = m2[i] / correction2
                        p[i] -= α * mHat / (vHat.squareRoot() + ε)
                    }
                }
            }
        }
    }
}
