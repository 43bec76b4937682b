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

    // MARK: - Vector sigmoid (Float)

    /// σ(z + b) in place, `rows` rows of `width` units, `rowStride` floats apart (default
    /// `width`): the forward pass's bias and sigmoid in one pass, 16 units at a time with
    /// `exp16`. Scalar `expf` calls took ~12% of a `small` step (perf, 1 thread).
    /// Deterministic per element, so results stay independent of how a batch is split, by rows
    /// or by columns; it differs from `value` (glibc's expf) by at most a few ulp (tested).
    public static func sigmoidAddingBias(_ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                         rows: Int, width: Int, rowStride: Int? = nil) {
        typealias V = SIMD16<Float>
        let one = V(repeating: 1)
        let braw = UnsafeRawPointer(bias)
        let stride = rowStride ?? width
        for r in 0..<rows {
            let row = z + r &* stride
            let raw = UnsafeMutableRawPointer(row)
            var j = 0
            while j &+ 16 <= width {
                let x = raw.loadUnaligned(fromByteOffset: j &* 4, as: V.self)
                    + braw.loadUnaligned(fromByteOffset: j &* 4, as: V.self)
                raw.storeBytes(of: one / (one + exp16(-x)), toByteOffset: j &* 4, as: V.self)
                j &+= 16
            }
            if j < width {
                // The tail goes through the same vector function, padded, so every unit of a
                // row gets the same arithmetic whatever the width.
                var x = V(repeating: 0)
                for t in 0..<(width &- j) { x[t] = row[j &+ t] + bias[j &+ t] }
                let y = one / (one + exp16(-x))
                for t in 0..<(width &- j) { row[j &+ t] = y[t] }
            }
        }
    }

    /// e^x for 16 floats: x = n·ln 2 + r with |r| ≤ ln2/2 (ln 2 split in two, Cody–Waite, so
    /// r is exact), e^r = 1 + r + r²·P(r) with Cephes' degree-5 minimax P for expf, times 2^n built in the
    /// exponent bits. Inputs are clamped to [−87.3, 88.3] so 2^n stays a normal float; NaN stays
    /// NaN.
    @inline(__always)
    static func exp16(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        // Clamp by compare-and-blend: the generic `clamped` and Float→Int32 vector conversion
        // compile to per-lane library calls (perf), compares and blends to single instructions.
        // NaN fails both compares and stays NaN.
        var xc = x
        xc.replace(with: V(repeating: -87.3), where: x .< V(repeating: -87.3))
        xc.replace(with: V(repeating: 88.3), where: x .> V(repeating: 88.3))
        let n = (xc * V(repeating: 1.442_695_04)).rounded(.toNearestOrEven)
        var r = xc.addingProduct(n, V(repeating: -0.693_359_375))
        r = r.addingProduct(n, V(repeating: 2.121_944_4e-4))
        // e^r = 1 + r + r² · P(r), P by Horner with one FMA per coefficient.
        var p = V(repeating: 1.987_569_15e-4)
        p = V(repeating: 1.398_199_95e-3).addingProduct(p, r)
        p = V(repeating: 8.333_451_9e-3).addingProduct(p, r)
        p = V(repeating: 4.166_579_6e-2).addingProduct(p, r)
        p = V(repeating: 1.666_666_5e-1).addingProduct(p, r)
        p = V(repeating: 5.000_000_1e-1).addingProduct(p, r)
        let er = (r + V(repeating: 1)).addingProduct(p, r * r)
        // 2^n: n + 127 + 2^23 is exact with the integer n + 127 (1 … 254) in its low mantissa
        // bits; shifted into the exponent field it is 2^n. (NaN lanes give NaN through er.)
        let biased = unsafeBitCast(n + V(repeating: 8_388_608 + 127), to: SIMD16<UInt32>.self)
        let bits = biased &<< 23
        return er * unsafeBitCast(bits, to: V.self)
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
