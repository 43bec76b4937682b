import Foundation

/// Seeded weight initialisation. Biases start at 0; weights of layer l (fan-in I, fan-out O):
public enum InitializationScheme: Sendable, Equatable {
    /// U(−r, r) with r = √(6 / (I + O)) (Glorot & Bengio 2010).
    case xavier
    /// N(0, 2 / I) (He et al. 2015), for relu networks.
    case he
    /// U(−r, r) with the given r.
    case uniform(range: Double)

    /// Fills `parameters` (laid out for `network`) from a generator seeded with `seed`; the
    /// same seed always gives the same bytes.
    public func initialize(_ parameters: FloatBuffer, network: Network, seed: UInt64) {
        precondition(parameters.count == network.parameterCount)
        var random = SeededGenerator(seed: seed)
        parameters.zero()
        parameters.withUnsafeMutableBufferPointer { p in
            for l in 0..<network.layerCount {
                let inCount = Double(network.sizes[l]), outCount = Double(network.sizes[l + 1])
                let range = network.weightOffset(l)..<network.biasOffset(l)
                switch self {
                case .xavier:
                    let r = (6 / (inCount + outCount)).squareRoot()
                    for i in range { p[i] = Float((2 * random.nextUnitDouble() - 1) * r) }
                case .uniform(let r):
                    for i in range { p[i] = Float((2 * random.nextUnitDouble() - 1) * r) }
                case .he:
                    let sigma = (2 / inCount).squareRoot()
                    for i in range { p[i] = Float(Self.standardNormal(&random) * sigma) }
                }
            }
        }
    }

    /// One N(0, 1) draw by Box–Muller (fixed algorithm, so reproducible across toolchains).
    static func standardNormal(_ random: inout SeededGenerator) -> Double {
        let u1 = 1 - random.nextUnitDouble()   // (0, 1]: log stays finite
        let u2 = random.nextUnitDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
