/// Finite-difference gradient check of J(W,b) = (1/m) Σ J(W,b; x_i, y_i) in Double, and a
/// comparison of the batched Float kernels against the Double reference.
public enum GradientCheck {
    public struct Report: Sendable {
        /// max over parameters of |analytic − numeric| / max(|analytic|, |numeric|, `floor`).
        public var maxRelativeError: Double
        /// The parameter index where that maximum occurs.
        public var worstIndex: Int
        /// max |fast Float batched gradient − Double analytic| / max |analytic|.
        public var kernelError: Double
        public var parameterCount: Int
        /// How many parameters were checked by finite differences.
        public var checkedCount: Int
    }

    /// Gradients smaller than this are compared absolutely: central differences in Double cannot
    /// resolve relative error below ~1e-10 / h for them.
    public static let floor = 1e-8
    /// Finite-difference step. With the fourth-order stencil the truncation error is ~h⁴ and the
    /// rounding error ~1e-16/h; measured on digits (64-64-10, all 4810 parameters) and MNIST
    /// (784-128-10, 3000 sampled), the worst relative error was 8e-7 / 1.5e-6 at h = 1e-4,
    /// 6e-7 / 1e-6 at 3e-4 and 8e-8 / 2e-7 at 1e-3: rounding dominates, so h = 1e-3.
    public static let step = 1e-3

    /// Checks the gradient at `parameters` over the examples (rows of `inputs` and `targets`),
    /// by finite differences at the parameters `indices` (all when nil; large networks check a
    /// sample, since each difference costs two passes over every example).
    public static func run(network: Network, parameters: [Float], inputs: [[Float]], targets: [[Float]],
                           indices: [Int]? = nil) -> Report {
        precondition(inputs.count == targets.count && !inputs.isEmpty)
        let m = inputs.count
        let p = parameters.map(Double.init)
        let x = inputs.map { $0.map(Double.init) }
        let y = targets.map { $0.map(Double.init) }

        var analytic = [Double](repeating: 0, count: p.count)
        for i in 0..<m {
            let g = ReferenceBackprop.gradient(network, parameters: p, input: x[i], target: y[i])
            for j in 0..<p.count { analytic[j] += g[j] / Double(m) }
        }
        func meanCost(_ q: [Double]) -> Double {
            (0..<m).reduce(0.0) { $0 + ReferenceBackprop.cost(network, parameters: q, input: x[$1], target: y[$1]) } / Double(m)
        }
        var worst = 0.0, worstIndex = 0
        var q = p
        let checked = indices ?? Array(0..<p.count)
        for j in checked {
            // Fourth-order central differences: truncation error O(h⁴) instead of O(h²), which
            // matters for small gradient entries.
            func cost(at offset: Double) -> Double {
                q[j] = p[j] + offset
                defer { q[j] = p[j] }
                return meanCost(q)
            }
            let near = cost(at: step) - cost(at: -step)
            let far = cost(at: 2 * step) - cost(at: -2 * step)
            let numeric = (8 * near - far) / (12 * step)
            let error = abs(analytic[j] - numeric) / max(abs(analytic[j]), abs(numeric), floor)
            if error > worst { (worst, worstIndex) = (error, j) }
        }

        // The production path: batched SIMD kernels in Float, gradient sum scaled by 1/m.
        let workspace = BatchWorkspace(network: network, capacity: m)
        workspace.inputs.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<m { for j in 0..<network.inputCount { buffer[i * network.inputCount + j] = inputs[i][j] } }
        }
        workspace.targets.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<m { for j in 0..<network.outputCount { buffer[i * network.outputCount + j] = targets[i][j] } }
        }
        let weights = FloatBuffer(parameters)
        let gradient = FloatBuffer(count: network.parameterCount)
        weights.withUnsafeBufferPointer { w in
            gradient.withUnsafeMutableBufferPointer { g in
                workspace.forward(parameters: w.baseAddress!, count: m)
                workspace.backward(parameters: w.baseAddress!, gradient: g.baseAddress!, count: m)
            }
        }
        let scale = analytic.reduce(0) { max($0, abs($1)) }
        var kernelError = 0.0
        for j in 0..<p.count {
            kernelError = max(kernelError, abs(Double(gradient[j]) / Double(m) - analytic[j]))
        }
        return Report(maxRelativeError: worst, worstIndex: worstIndex,
                      kernelError: scale > 0 ? kernelError / scale : kernelError, parameterCount: p.count,
                      checkedCount: checked.count)
    }
}
