import Synchronization

/// One minibatch in one workspace that all workers of a process fill and read together, so
/// that the weight gradient is computed once, split over the *parameters* instead of over the
/// examples: no per-worker gradient, no reduction pass, and the update applied in the ∇W kernel.
///
/// A step, for T workers that each own a block-aligned run of rows:
///
///     forward      each worker its rows (row r's result depends on row r alone)
///     per weight layer l, from the top:
///       pack       each worker packs its rows of Δ^(l+1) into the shared strips of Δᵀ
///       δ          each worker Δ^(l) = (Δ^(l+1) · W^(l)) ∘ f'(A^(l)) for its rows
///       barrier    every row of Δ^(l+1) is packed and nobody reads W^(l) any more
///       ∇W, ∇b     units taken from a shared counter: ∇b^(l), then blocks of columns of
///                  ∇W^(l), each the canonical block-tree sum over all m examples, applied to
///                  W^(l) as it is produced (`BlockTreeSum.weightGradient(packedStrips:…)`)
///
/// Every gradient element is the one-node block-tree sum over the whole minibatch, whichever
/// worker computes it, so the weights are the same bytes as with one worker — and as with the
/// per-worker tree (`BatchWorkspace.backward(…nodes:…)`), which gives the root the same sums.
/// Units are handed out dynamically, so a worker that ran slower in the row phases takes fewer.
///
/// Two strip buffers alternate between layers: a worker may pack layer l − 1's strips while
/// another still reads layer l's, never layer l + 1's (the barrier of layer l lies between).
public final class SharedBatch: @unchecked Sendable {
    public let workspace: BatchWorkspace
    /// ∇b of every layer, and ∇W where the update needs it stored (momentum, Adam).
    public let gradient: FloatBuffer
    private let packedDeltas: [FloatBuffer]
    /// Columns of ∇W^(l) per unit.
    private let unitColumns: [Int]
    private let nextUnit: [UnitCounter]

    private final class UnitCounter: @unchecked Sendable {
        let value = Atomic<Int>(0)
    }

    /// What one worker needs of its own: the products' packing and the tree's packed block
    /// and counter stack. Make it on the worker's thread (first touch on its NUMA node).
    public final class WorkerScratch: @unchecked Sendable {
        let gemm: FloatBuffer
        let tree: FloatBuffer

        init(capacity: Int, widest: Int) {
            gemm = FloatBuffer(count: Gemm.scratchCount)
            tree = FloatBuffer(count: max(BlockTreeSum.packedScratchCount(k: capacity),
                                          BlockTreeSum.columnScratchCount(width: widest)))
        }
    }

    public init(network: Network, capacity: Int, workers: Int) {
        precondition(capacity >= 1 && workers >= 1)
        workspace = BatchWorkspace(network: network, capacity: capacity, scratch: false)
        gradient = FloatBuffer(count: network.parameterCount)
        let widestOutput = network.sizes.dropFirst().max() ?? 1
        packedDeltas = (0..<2).map { _ in FloatBuffer(count: BlockTreeSum.packedARows(widestOutput) * capacity) }
        unitColumns = (0..<network.layerCount).map {
            Self.unitColumns(inputs: network.sizes[$0], depth: capacity, workers: workers)
        }
        nextUnit = (0..<network.layerCount).map { _ in UnitCounter() }
    }

    /// Columns of ∇W per unit for a layer of `inputs` columns: about four units per worker, so
    /// that the dynamic hand-out can even out workers that run at different speeds (side by side
    /// on `wide` at two workers, two units per worker and eight were 9 % and 5 % slower); with one
    /// worker, the whole L2-sized column block of `BlockTreeSum`. Whole 32-column panels, at
    /// most `BlockTreeSum.columnBlock(k:)` for the batch's depth.
    static func unitColumns(inputs: Int, depth: Int, workers: Int) -> Int {
        let panel = Gemm.tileColumns
        let limit = BlockTreeSum.columnBlock(k: depth)
        guard workers > 1 else { return min(limit, (inputs + panel - 1) / panel * panel) }
        let target = (inputs + 4 * workers - 1) / (4 * workers)
        return min(limit, max(panel, (target + panel - 1) / panel * panel))
    }

    public func makeWorkerScratch() -> WorkerScratch {
        WorkerScratch(capacity: workspace.capacity, widest: workspace.network.sizes.max() ?? 1)
    }

    /// Resets the unit counters; call before the workers start a step.
    public func beginStep() {
        for counter in nextUnit { counter.value.store(0, ordering: .relaxed) }
    }

    /// Worker's rows `rows` forward (the rows' inputs and targets loaded).
    ///
    /// Each worker packs W for its own rows (as `Gemm.multiply` does), T times the packing of
    /// one worker. Packing every W once per step, shared, was slower here: a step's packed
    /// weights (2 × 7 MiB for `wide`) came back from memory instead of each 1 MiB block being
    /// used from L2 right after packing — the forward pass took 1.23× as long at one worker,
    /// and two workers lost as much as they saved.
    public func forward(parameters: UnsafePointer<Float>, rows: Range<Int>, scratch: WorkerScratch) {
        workspace.forward(parameters: parameters, rows: rows, scratch: scratch.gemm.withUnsafeMutableBufferPointer { $0.baseAddress! })
    }

    /// The backward pass and the update of a step over `m` rows, run by every worker with its
    /// own `rows` after every worker's `forward`. `synchronize` must be a barrier of all
    /// the step's workers. With `step` (plain SGD) every tile of ∇W is applied to W in registers;
    /// otherwise `update(range)` is called for each finished range of the slab, ∇W in
    /// `gradient`. `update` also gets every ∇b^(l).
    public func backward(parameters p: UnsafeMutablePointer<Float>, rows: Range<Int>, exampleCount m: Int,
                         blockSize: Int, fanIn: Int, step: SGDStep?, scratch: WorkerScratch,
                         update: (_ range: Range<Int>) -> Void, synchronize: () -> Void) {
        precondition(m >= 1 && m <= workspace.capacity && rows.lowerBound >= 0 && rows.upperBound <= m)
        let network = workspace.network
        let sizes = network.sizes
        let last = network.layerCount - 1
        let work = scratch.gemm.withUnsafeMutableBufferPointer { $0.baseAddress! }
        let tree = scratch.tree.withUnsafeMutableBufferPointer { $0.baseAddress! }
        let g = gradient.withUnsafeMutableBufferPointer { $0.baseAddress! }
        let outputCount = network.outputCount
        network.loss.outputDelta(
            workspace.deltas[last].withUnsafeMutableBufferPointer { $0.baseAddress! } + rows.lowerBound &* outputCount,
            outputs: workspace.outputs.withUnsafeBufferPointer { $0.baseAddress! } + rows.lowerBound &* outputCount,
            targets: workspace.targets.withUnsafeBufferPointer { $0.baseAddress! } + rows.lowerBound &* outputCount,
            activation: network.outputActivation, rows: rows.count, width: outputCount)
        for l in stride(from: last, through: 0, by: -1) {
            let inCount = sizes[l], outCount = sizes[l + 1]
            let delta = workspace.deltas[l].withUnsafeBufferPointer { $0.baseAddress! }
            let a = workspace.activations[l].withUnsafeBufferPointer { $0.baseAddress! }
            let packed = packedDeltas[l & 1].withUnsafeMutableBufferPointer { $0.baseAddress! }
            BlockTreeSum.packStrips(packed, StridedMatrix(delta, rowStride: 1, columnStride: outCount),
                                    rows: outCount, examples: rows, depth: m)
            if l > 0 && !rows.isEmpty {
                let below = workspace.deltas[l - 1].withUnsafeMutableBufferPointer { $0.baseAddress! } + rows.lowerBound &* inCount
                // Δ^(l) = Δ^(l+1) · W, then ∘ f'(A^(l)).
                Gemm.multiply(below, ldc: inCount,
                              StridedMatrix(delta + rows.lowerBound &* outCount, rowStride: outCount, columnStride: 1),
                              StridedMatrix(p + network.weightOffset(l), rowStride: inCount, columnStride: 1),
                              m: rows.count, n: inCount, k: outCount, accumulate: false, scratch: work)
                network.activation(ofLayer: l - 1).multiplyByDerivative(below, outputs: a + rows.lowerBound &* inCount,
                                                                        count: rows.count &* inCount)
            }
            synchronize()
            let weights = network.weightOffset(l), biases = network.biasOffset(l)
            let columns = unitColumns[l]
            let units = 1 + (inCount + columns - 1) / columns
            while true {
                let unit = nextUnit[l].value.add(1, ordering: .relaxed).oldValue
                if unit >= units { break }
                if unit == 0 {
                    BlockTreeSum.columnSums(g + biases, of: delta, rows: m, width: outCount,
                                            blockSize: blockSize, fanIn: fanIn, scratch: tree)
                    update(biases..<(biases &+ outCount))
                    continue
                }
                let first = (unit &- 1) &* columns
                let width = min(columns, inCount &- first)
                BlockTreeSum.weightGradient(
                    packedStrips: packed, g + (weights &+ first), ldc: inCount,
                    StridedMatrix(a + first, rowStride: inCount, columnStride: 1),
                    m: outCount, n: width, k: m, blockSize: blockSize, fanIn: fanIn, columnBlock: columns, scratch: tree,
                    updating: p + (weights &+ first), step: step
                ) { rows, columns in
                    guard step == nil else { return }
                    for r in rows {
                        let row = weights &+ r &* inCount &+ first
                        update((row &+ columns.lowerBound)..<(row &+ columns.upperBound))
                    }
                }
            }
        }
    }
}
