/// The batched forward and backward passes of one network over a batch of up to `capacity`
/// examples, with every buffer made once.
///
/// Layout: example-major. A^(l) here is the design's A^(l) transposed, [B × s_l] row-major, so
/// each example's units are contiguous (as they come from the data set) and every product runs
/// through `Gemm` with contiguous inner loops:
///
///     forward   Z^(l+1) [B × O] = A^(l) [B × I] · W^(l)ᵀ,   A^(l+1) = f(Z^(l+1) + b)
///     backward  Δ^(l)   [B × I] = (Δ^(l+1) [B × O] · W^(l)) ∘ f'(A^(l))            (11)
///               ∇W^(l)  [O × I] += Δ^(l+1)ᵀ · A^(l)                                 (12)
///               ∇b^(l)  [O]     += Σ_rows Δ^(l+1)                                   (13)
///
/// Gradients are *sums* over the batch, added into the gradient slab (`+=`); scaling by 1/m
/// happens once, in the optimizer step.
public final class BatchWorkspace: @unchecked Sendable {
    public let network: Network
    /// Maximum examples per pass.
    public let capacity: Int
    /// A^(0) … A^(L): `activations[l]` is [capacity × s_l]; `activations[0]` holds the inputs.
    public let activations: [FloatBuffer]
    /// Targets [capacity × s_L], filled by the caller before `backward`.
    public let targets: FloatBuffer
    /// `deltas[l]` is Δ^(l+1) of weight layer l, [capacity × s_{l+1}].
    let deltas: [FloatBuffer]
    let scratch: FloatBuffer
    /// Packing, register-tile stack and bias stack of the block-tree gradient.
    let treeScratch: FloatBuffer

    public convenience init(network: Network, capacity: Int) {
        self.init(network: network, capacity: capacity, scratch: true)
    }

    /// Without `scratch`, only the rows: for `SharedBatch`, whose workers bring their own.
    init(network: Network, capacity: Int, scratch withScratch: Bool) {
        precondition(capacity >= 1)
        self.network = network
        self.capacity = capacity
        activations = network.sizes.map { FloatBuffer(count: capacity * $0) }
        targets = FloatBuffer(count: capacity * network.outputCount)
        deltas = network.sizes.dropFirst().map { FloatBuffer(count: capacity * $0) }
        scratch = FloatBuffer(count: withScratch ? Gemm.scratchCount : 0)
        treeScratch = FloatBuffer(count: withScratch ? max(
            BlockTreeSum.scratchCount(k: capacity, m: network.sizes.dropFirst().max() ?? 1),
            BlockTreeSum.columnScratchCount(width: network.sizes.max() ?? 1)) : 0)
    }

    /// The inputs A^(0) [capacity × s_1]; fill the first `count` rows before `forward`.
    public var inputs: FloatBuffer { activations[0] }
    /// The network's outputs h(x) [capacity × s_nl] after `forward`.
    public var outputs: FloatBuffer { activations[network.layerCount] }

    // MARK: - Forward

    /// Runs the first `count` rows of `inputs` through the network.
    public func forward(parameters: UnsafePointer<Float>, count: Int) {
        forward(parameters: parameters, rows: 0..<count, scratch: scratch.withUnsafeMutableBufferPointer { $0.baseAddress! })
    }

    /// Runs rows `rows` of `inputs` through the network, with `scratch` (`Gemm.scratchCount`
    /// floats) for the products: each row's result does not depend on the others, so the
    /// workers of a step may run disjoint row ranges of one workspace at once.
    public func forward(parameters: UnsafePointer<Float>, rows: Range<Int>, scratch work: UnsafeMutablePointer<Float>) {
        for l in 0..<network.layerCount {
            forward(layer: l, parameters: parameters, rows: rows, units: 0..<network.sizes[l + 1], scratch: work)
        }
    }

    /// Units `units` of A^(l+1) for rows `rows`: Z = A^(l) · Wᵀ on those, then the bias and f.
    /// A unit's value depends only on its row of A^(l) and its row of W^(l), so workers may
    /// split a layer by rows or by units and get the same bits. A softmax layer (f acts on
    /// whole rows) takes all its units at once.
    public func forward(layer l: Int, parameters: UnsafePointer<Float>, rows: Range<Int>, units: Range<Int>,
                        scratch work: UnsafeMutablePointer<Float>) {
        let inCount = network.sizes[l], outCount = network.sizes[l + 1]
        let activation = network.activation(ofLayer: l)
        precondition(rows.lowerBound >= 0 && rows.upperBound <= capacity && units.lowerBound >= 0 && units.upperBound <= outCount)
        precondition(activation.isElementwise || units.count == outCount, "a softmax layer takes all its units at once")
        let w = parameters + (network.weightOffset(l) &+ units.lowerBound &* inCount)
        let bias = parameters + (network.biasOffset(l) &+ units.lowerBound)
        let a = activations[l].withUnsafeBufferPointer { $0.baseAddress! } + rows.lowerBound &* inCount
        let z = activations[l + 1].withUnsafeMutableBufferPointer { $0.baseAddress! } + (rows.lowerBound &* outCount &+ units.lowerBound)
        // Z = A · Wᵀ: B's element (k = i, j = o) is W[o, i].
        Gemm.multiply(z, ldc: outCount,
                      StridedMatrix(a, rowStride: inCount, columnStride: 1),
                      StridedMatrix(w, rowStride: 1, columnStride: inCount),
                      m: rows.count, n: units.count, k: inCount, accumulate: false, scratch: work)
        addBiasAndActivate(z, bias: bias, rows: rows.count, width: units.count, rowStride: outCount, activation: activation)
    }

    /// Z + b then f, in place, `rows` rows of `width` units `rowStride` floats apart (sigmoid in
    /// one fused vector pass).
    private func addBiasAndActivate(_ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                    rows: Int, width: Int, rowStride: Int, activation: Activation) {
        if activation == .sigmoid {
            Activation.sigmoidAddingBias(z, bias: bias, rows: rows, width: width, rowStride: rowStride)
            return
        }
        for r in 0..<rows {
            let row = z + r &* rowStride
            for j in 0..<width { row[j] += bias[j] }
            activation.apply(row, rows: 1, width: width)
        }
    }

    // MARK: - Backward

    /// After `forward` over the same `count` rows: adds the summed gradients ∇W, ∇b of the
    /// batch into `gradient` (laid out like the parameters) and returns the summed cost.
    @discardableResult
    public func backward(parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>,
                         count: Int) -> Double {
        precondition(count >= 0 && count <= capacity)
        let work = scratch.withUnsafeMutableBufferPointer { $0.baseAddress! }
        let cost = self.cost(rowStart: 0, count: count)
        propagate(parameters: parameters, count: count) { l, delta, a, inCount, outCount in
            // ∇W += Δᵀ · A: A's element (i = o, k = example) is Δ[example, o].
            Gemm.multiply(gradient + network.weightOffset(l), ldc: inCount,
                          StridedMatrix(delta, rowStride: 1, columnStride: outCount),
                          StridedMatrix(a, rowStride: inCount, columnStride: 1),
                          m: outCount, n: inCount, k: count, accumulate: true, scratch: work)
            Self.addColumnSums(gradient + network.biasOffset(l), of: delta, rows: count, width: outCount)
        }
        return cost
    }

    /// The δ recursion shared by both gradient forms: δ of the output layer by (10), then for
    /// each weight layer from the top, Δ^(l) = (Δ^(l+1) · W) ∘ f'(A^(l)), equation (11),
    /// followed by `gradient(l, Δ^(l+1), A^(l), I, O)` — the caller's sums (12)–(13). W^(l) is
    /// read for the last time before `gradient(l, …)`, so the caller may update it there.
    private func propagate(
        parameters: UnsafePointer<Float>, count: Int,
        gradient: (_ l: Int, _ delta: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ inCount: Int, _ outCount: Int) -> Void
    ) {
        let sizes = network.sizes
        let last = network.layerCount - 1
        let work = scratch.withUnsafeMutableBufferPointer { $0.baseAddress! }
        network.loss.outputDelta(
            deltas[last].withUnsafeMutableBufferPointer { $0.baseAddress! },
            outputs: outputs.withUnsafeBufferPointer { $0.baseAddress! },
            targets: targets.withUnsafeBufferPointer { $0.baseAddress! },
            activation: network.outputActivation, rows: count, width: network.outputCount)
        for l in stride(from: last, through: 0, by: -1) {
            let inCount = sizes[l], outCount = sizes[l + 1]
            let delta = deltas[l].withUnsafeBufferPointer { $0.baseAddress! }
            let a = activations[l].withUnsafeBufferPointer { $0.baseAddress! }
            if l > 0 {
                propagateDelta(layer: l, parameters: parameters, rows: 0..<count, units: 0..<inCount, scratch: work)
            }
            gradient(l, delta, a, inCount, outCount)
        }
    }

    /// Units `units` of Δ^(l) for rows `rows`: Δ^(l+1) · W^(l) on those, then ∘ f'(A^(l)),
    /// equation (11) (Δ^(l) is `deltas[l − 1]`). Like the forward pass, a unit's value depends
    /// only on its row of Δ^(l+1) and its column of W^(l), so workers may split it by rows or
    /// by units.
    func propagateDelta(layer l: Int, parameters: UnsafePointer<Float>, rows: Range<Int>, units: Range<Int>,
                        scratch work: UnsafeMutablePointer<Float>) {
        let inCount = network.sizes[l], outCount = network.sizes[l + 1]
        let offset = rows.lowerBound &* inCount &+ units.lowerBound
        let out = deltas[l - 1].withUnsafeMutableBufferPointer { $0.baseAddress! } + offset
        let outputs = activations[l].withUnsafeBufferPointer { $0.baseAddress! } + offset
        let delta = deltas[l].withUnsafeBufferPointer { $0.baseAddress! } + rows.lowerBound &* outCount
        Gemm.multiply(out, ldc: inCount,
                      StridedMatrix(delta, rowStride: outCount, columnStride: 1),
                      StridedMatrix(parameters + (network.weightOffset(l) &+ units.lowerBound), rowStride: inCount, columnStride: 1),
                      m: rows.count, n: units.count, k: outCount, accumulate: false, scratch: work)
        let derivative = network.activation(ofLayer: l - 1)
        if units.count == inCount {
            derivative.multiplyByDerivative(out, outputs: outputs, count: rows.count &* inCount)
        } else {
            for r in 0..<rows.count {
                derivative.multiplyByDerivative(out + r &* inCount, outputs: outputs + r &* inCount, count: units.count)
            }
        }
    }

    // MARK: - Backward into block-tree nodes

    /// Rows `rowStart ..< rowStart + rowCount` of the batch, whose gradient is summed in the
    /// canonical block tree (`BlockTreeSum`) into `gradient` (laid out like the parameters,
    /// overwritten). The rows must start at a block boundary of the minibatch.
    public struct GradientNode {
        public var rowStart: Int
        public var rowCount: Int
        public var gradient: UnsafeMutablePointer<Float>

        public init(rowStart: Int, rowCount: Int, gradient: UnsafeMutablePointer<Float>) {
            self.rowStart = rowStart
            self.rowCount = rowCount
            self.gradient = gradient
        }
    }

    /// After `forward` over `count` rows: writes each node's block-tree gradient sum. Equations
    /// as in `backward(parameters:gradient:count:)`; only the order of the sums over examples
    /// differs — it is the canonical tree, so the result does not depend on how the minibatch
    /// was split into workspaces.
    public func backward(parameters: UnsafePointer<Float>, count: Int, nodes: UnsafeBufferPointer<GradientNode>,
                         blockSize: Int, fanIn: Int) {
        precondition(count >= 0 && count <= capacity)
        let tree = treeScratch.withUnsafeMutableBufferPointer { $0.baseAddress! }
        propagate(parameters: parameters, count: count) { l, delta, a, inCount, outCount in
            let weights = network.weightOffset(l), biases = network.biasOffset(l)
            for node in nodes {
                let d = delta + node.rowStart &* outCount
                BlockTreeSum.weightGradient(
                    node.gradient + weights, ldc: inCount,
                    StridedMatrix(d, rowStride: 1, columnStride: outCount),
                    StridedMatrix(a + node.rowStart &* inCount, rowStride: inCount, columnStride: 1),
                    m: outCount, n: inCount, k: node.rowCount, blockSize: blockSize, fanIn: fanIn, scratch: tree)
                BlockTreeSum.columnSums(node.gradient + biases, of: d, rows: node.rowCount,
                                        width: outCount, blockSize: blockSize, fanIn: fanIn, scratch: tree)
            }
        }
    }

    /// Summed cost of rows `rowStart ..< rowStart + count` after `forward` (targets loaded).
    public func cost(rowStart: Int, count: Int) -> Double {
        let width = network.outputCount
        return outputs.withUnsafeBufferPointer { a in
            targets.withUnsafeBufferPointer { y in
                network.loss.cost(outputs: a.baseAddress! + rowStart &* width, targets: y.baseAddress! + rowStart &* width,
                                  rows: count, width: width)
            }
        }
    }

    /// `sums[j] += Σ_r rows[r][j]`, rows added in order (vectorised along j).
    static func addColumnSums(_ sums: UnsafeMutablePointer<Float>, of rows: UnsafePointer<Float>,
                              rows count: Int, width: Int) {
        for r in 0..<count {
            let row = rows + r &* width
            for j in 0..<width { sums[j] += row[j] }
        }
    }
}
