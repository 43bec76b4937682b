import Foundation

/// A cost function of one example and the δ it puts on the output layer, side by side.
public enum Loss: Sendable, Equatable, Hashable {
    /// J(W,b; x,y) = ½‖h − y‖²; δ^(n_l) = −(y − a) ∘ f'(z), equation (10).
    case squaredError
    /// J = −Σ_j y_j log a_j with a softmax output layer; then δ^(n_l) = a − y.
    case crossEntropy

    /// The cost of `rows` examples, summed (not averaged), accumulated in Double.
    public func cost(
        outputs a: UnsafePointer<Float>, targets y: UnsafePointer<Float>, rows: Int, width: Int
    ) -> Double {
        var total = 0.0
        switch self {
        case .squaredError:
            for i in 0..<(rows &* width) {
                let d = Double(a[i]) - Double(y[i])
                total += 0.5 * d * d
            }
        case .crossEntropy:
            for i in 0..<(rows &* width) where y[i] != 0 {
                // Softmax outputs can underflow to 0; the floor keeps the cost finite.
                total -= Double(y[i]) * log(max(Double(a[i]), Double(Float.leastNormalMagnitude)))
            }
        }
        return total
    }

    /// Writes δ of the output layer for `rows` examples: equation (10), or a − y for softmax
    /// with cross-entropy.
    public func outputDelta(
        _ delta: UnsafeMutablePointer<Float>, outputs a: UnsafePointer<Float>,
        targets y: UnsafePointer<Float>, activation: Activation, rows: Int, width: Int
    ) {
        let count = rows &* width
        for i in 0..<count { delta[i] = a[i] - y[i] }
        if self == .squaredError {
            activation.multiplyByDerivative(delta, outputs: a, count: count)
        }
    }
}
