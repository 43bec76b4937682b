import Foundation

/// An activation function f and its derivative, side by side.
///
/// Every derivative is written in terms of the activation's *output* a = f(z), which is what the
/// forward pass keeps: sigmoid' = a(1 − a), tanh' = 1 − a², and for relu / leaky relu the sign of
/// a equals the sign of z. So the backward pass needs no stored z.
public enum Activation: Sendable, Equatable, Hashable {
    case sigmoid
    case tanh
    case relu
    /// max(z, slope·z) with 0 < slope < 1.
    case leakyRelu(slope: Float)
    case identity
    /// Row-wise softmax; only as the output layer with the cross-entropy loss, whose δ is a − y.
    case softmax

    /// Whether f acts on each unit alone (everything but softmax).
    public var isElementwise: Bool { self != .softmax }

    // MARK: - Scalar forward/derivative pair (Float)

    /// f(z) for one unit.
    @inline(__always)
    public func value(_ z: Float) -> Float {
        switch self {
        case .sigmoid: return 1 / (1 + expf(-z))
        case .tanh: return tanhf(z)
        case .relu: return z > 0 ? z : 0
        case .leakyRelu(let slope): return z > 0 ? z : slope * z
        case .identity: return z
        case .softmax: preconditionFailure("softmax is not elementwise")
        }
    }

    /// f'(z) expressed through a = f(z).
    @inline(__always)
    public func derivative(output a: Float) -> Float {
        switch self {
        case .sigmoid: return a * (1 - a)
        case .tanh: return 1 - a * a
        case .relu: return a > 0 ? 1 : 0
        case .leakyRelu(let slope): return a > 0 ? 1 : slope
        case .identity: return 1
        case .softmax: preconditionFailure("softmax has no elementwise derivative; use it with cross_entropy")
        }
    }

    // MARK: - Rows (Float)

    /// Applies f in place to `rows` rows of `width` units each (softmax normalises each row).
    public func apply(_ values: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        switch self {
        case .identity:
            return
        case .softmax:
            for r in 0..<rows { Self.softmaxRow(values + r &* width, width: width) }
        default:
            for i in 0..<(rows &* width) { values[i] = value(values[i]) }
        }
    }

    /// `delta[i] *= f'(a[i])` for `count` units: the "∘ f'(z)" of equation (11).
    public func multiplyByDerivative(
        _ delta: UnsafeMutablePointer<Float>, outputs a: UnsafePointer<Float>, count: Int
    ) {
        switch self {
        case .identity: return
        case .sigmoid: for i in 0..<count { delta[i] *= a[i] * (1 - a[i]) }
        default: for i in 0..<count { delta[i] *= derivative(output: a[i]) }
        }
    }

    /// exp(z − max z) / Σ exp(z − max z) over one row, in place.
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, width: Int) {
        var peak = -Float.infinity
        for j in 0..<width { peak = max(peak, row[j]) }
        var sum: Float = 0
        for j in 0..<width {
            let e = expf(row[j] - peak)
            row[j] = e
            sum += e
        }
        let inverse = 1 / sum
        for j in 0..<width { row[j] *= inverse }
    }
}
