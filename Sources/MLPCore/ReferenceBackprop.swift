import Foundation

/// Scalars the reference implementation runs in: `Double` for gradient checks, `Float` to
/// check the fast kernels.
public protocol ReferenceScalar: BinaryFloatingPoint, Sendable {
    static func exponential(_ x: Self) -> Self
    static func hyperbolicTangent(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
}

extension Double: ReferenceScalar {
    public static func exponential(_ x: Double) -> Double { exp(x) }
    public static func hyperbolicTangent(_ x: Double) -> Double { tanh(x) }
    public static func logarithm(_ x: Double) -> Double { log(x) }
}

extension Float: ReferenceScalar {
    public static func exponential(_ x: Float) -> Float { expf(x) }
    public static func hyperbolicTangent(_ x: Float) -> Float { tanhf(x) }
    public static func logarithm(_ x: Float) -> Float { logf(x) }
}

/// Backprop written out from the equations, one example at a time, with plain loops and no
/// cleverness: the independent reference for the batched SIMD path and the subject of the
/// finite-difference gradient check.
public enum ReferenceBackprop {
    /// f(z) per the design; softmax over the whole vector.
    public static func activate<T: ReferenceScalar>(_ z: [T], _ f: Activation) -> [T] {
        switch f {
        case .sigmoid: return z.map { 1 / (1 + T.exponential(-$0)) }
        case .tanh: return z.map { T.hyperbolicTangent($0) }
        case .relu: return z.map { $0 > 0 ? $0 : 0 }
        case .leakyRelu(let slope): return z.map { $0 > 0 ? $0 : T(slope) * $0 }
        case .identity: return z
        case .softmax:
            let peak = z.max() ?? 0
            let e = z.map { T.exponential($0 - peak) }
            let sum = e.reduce(0, +)
            return e.map { $0 / sum }
        }
    }

    /// f'(z) for an elementwise f, from z itself (not from the output, unlike the fast path).
    public static func derivative<T: ReferenceScalar>(_ z: [T], _ f: Activation) -> [T] {
        switch f {
        case .sigmoid: return z.map { let s = 1 / (1 + T.exponential(-$0)); return s * (1 - s) }
        case .tanh: return z.map { let t = T.hyperbolicTangent($0); return 1 - t * t }
        case .relu: return z.map { $0 > 0 ? 1 : 0 }
        case .leakyRelu(let slope): return z.map { $0 > 0 ? 1 : T(slope) }
        case .identity: return z.map { _ in 1 }
        case .softmax: preconditionFailure("softmax is only used with cross_entropy")
        }
    }

    /// z^(l+1) = W^(l) a^(l) + b^(l) for every layer; returns (z's, a's) with a[0] = x.
    public static func forward<T: ReferenceScalar>(_ network: Network, parameters p: [T], input x: [T])
        -> (z: [[T]], a: [[T]])
    {
        var zs: [[T]] = [[]]
        var activations: [[T]] = [x]
        for l in 0..<network.layerCount {
            let inCount = network.sizes[l], outCount = network.sizes[l + 1]
            let w = network.weightOffset(l), b = network.biasOffset(l)
            var z = [T](repeating: 0, count: outCount)
            for o in 0..<outCount {
                var sum = p[b + o]
                for i in 0..<inCount { sum += p[w + o * inCount + i] * activations[l][i] }
                z[o] = sum
            }
            zs.append(z)
            activations.append(activate(z, network.activation(ofLayer: l)))
        }
        return (zs, activations)
    }

    /// J(W,b; x,y) of one example.
    public static func cost<T: ReferenceScalar>(_ network: Network, parameters: [T], input: [T], target y: [T]) -> T {
        let h = forward(network, parameters: parameters, input: input).a.last!
        switch network.loss {
        case .squaredError:
            return zip(h, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / 2
        case .crossEntropy:
            return zip(h, y).reduce(0) { $0 - ($1.1 == 0 ? 0 : $1.1 * T.logarithm($1.0)) }
        }
    }

    /// ∇J(W,b; x,y) of one example by equations (10)–(13), laid out like the parameters.
    public static func gradient<T: ReferenceScalar>(_ network: Network, parameters p: [T], input: [T], target y: [T]) -> [T] {
        let (z, a) = forward(network, parameters: p, input: input)
        let top = network.layerCount
        var grad = [T](repeating: 0, count: network.parameterCount)
        // (10): δ^(n_l) = −(y − a) ∘ f'(z); with softmax and cross-entropy, δ = a − y.
        var delta: [T]
        if network.loss == .crossEntropy {
            delta = zip(a[top], y).map { $0 - $1 }
        } else {
            let fPrime = derivative(z[top], network.outputActivation)
            delta = (0..<y.count).map { -(y[$0] - a[top][$0]) * fPrime[$0] }
        }
        for l in stride(from: top - 1, through: 0, by: -1) {
            let inCount = network.sizes[l], outCount = network.sizes[l + 1]
            let w = network.weightOffset(l), b = network.biasOffset(l)
            for o in 0..<outCount {
                for i in 0..<inCount { grad[w + o * inCount + i] = delta[o] * a[l][i] }   // (12)
                grad[b + o] = delta[o]                                                   // (13)
            }
            if l > 0 {
                // (11): δ^(l) = (W^(l)ᵀ δ^(l+1)) ∘ f'(z^(l))
                let fPrime = derivative(z[l], network.hiddenActivation)
                var below = [T](repeating: 0, count: inCount)
                for i in 0..<inCount {
                    var sum: T = 0
                    for o in 0..<outCount { sum += p[w + o * inCount + i] * delta[o] }
                    below[i] = sum * fPrime[i]
                }
                delta = below
            }
        }
        return grad
    }
}
