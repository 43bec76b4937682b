/// Plain SGD's update of one parameter, θ ← θ − α (g · s + λ θ) with g the summed gradient,
/// s = 1/m and λ the weight decay: the arithmetic `Optimizer` uses for `sgd` without momentum,
/// as a value the ∇W kernel applies to each register tile of the gradient the moment it is
/// final, so the one-worker step never writes that gradient to memory.
///
/// The scalar and the vector forms are the same IEEE operations in the same order (no fused
/// multiply-add), so a parameter gets the same bits from either.
public struct SGDStep: Sendable, Equatable {
    /// α, the learning rate.
    public var rate: Float
    /// s = 1/m, turning the summed gradient into the mean.
    public var scale: Float
    /// λ, the weight decay (0 for biases).
    public var decay: Float

    public init(rate: Float, scale: Float, decay: Float) {
        self.rate = rate
        self.scale = scale
        self.decay = decay
    }

    @inline(__always)
    public func updated(_ θ: Float, gradientSum g: Float) -> Float {
        θ - rate * (g * scale + decay * θ)
    }

    @inline(__always)
    func updated<V: SIMD>(_ θ: V, gradientSum g: V) -> V where V.Scalar == Float {
        θ - rate * (g * scale + decay * θ)
    }
}
