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
/// With few rows per worker, or for layers of 512 units and more (`splitsByUnits`), the forward
/// and δ products are split by units instead: the workers take units of A^(l+1), or of Δ^(l),
/// each over all m rows, from a shared counter, with a barrier wherever a worker next reads
/// rows that others wrote. A unit's value depends on its row of A (or Δ) and its row (column) of W alone, so the
/// bytes are the same either way.
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
    /// Whether any forward or δ product is split over the workers by units rather than rows.
    public let splitsByUnits: Bool
    /// With `splitsByUnits`: units of A^(l+1) per forward unit of work and of Δ^(l) per δ unit,
    /// 0 where the layer's product is split by rows.
    private let forwardUnitWidth: [Int]
    private let deltaUnitWidth: [Int]
    private let nextForwardUnit: [UnitCounter]
    private let nextDeltaUnit: [UnitCounter]

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

    /// `splitByUnits` forces the split of the forward and δ products that are wide and deep
    /// enough (`productUnitWidth`) for tests; by default, with two or more workers, such a
    /// product is split by units when the workers have fewer than `unitSplitRows` rows each or
    /// it is at least `unitSplitWidth` units wide.
    public init(network: Network, capacity: Int, workers: Int, splitByUnits: Bool? = nil) {
        precondition(capacity >= 1 && workers >= 1)
        workspace = BatchWorkspace(network: network, capacity: capacity, scratch: false)
        gradient = FloatBuffer(count: network.parameterCount)
        let widestOutput = network.sizes.dropFirst().max() ?? 1
        packedDeltas = (0..<2).map { _ in FloatBuffer(count: BlockTreeSum.packedARows(widestOutput) * capacity) }
        unitColumns = (0..<network.layerCount).map {
            Self.unitColumns(inputs: network.sizes[$0], depth: capacity, workers: workers)
        }
        nextUnit = (0..<network.layerCount).map { _ in UnitCounter() }
        let fewRows = capacity < Self.unitSplitRows * workers
        /// Units per unit of work for a product `width` wide over `depth`, 0 to split it by rows.
        func unitWidth(_ width: Int, _ depth: Int) -> Int {
            let byUnits = splitByUnits ?? (workers > 1 && (fewRows || width >= Self.unitSplitWidth))
            return byUnits ? Self.productUnitWidth(width: width, depth: depth, workers: workers) : 0
        }
        let sizes = network.sizes
        forwardUnitWidth = (0..<network.layerCount).map { l in
            network.activation(ofLayer: l).isElementwise ? unitWidth(sizes[l + 1], sizes[l]) : 0
        }
        deltaUnitWidth = (0..<network.layerCount).map { l in l > 0 ? unitWidth(sizes[l], sizes[l + 1]) : 0 }
        splitsByUnits = (forwardUnitWidth + deltaUnitWidth).contains { $0 > 0 }
        nextForwardUnit = (0..<network.layerCount).map { _ in UnitCounter() }
        nextDeltaUnit = (0..<network.layerCount).map { _ in UnitCounter() }
    }

    /// Rows per worker below which the forward and δ products are split by units. Split by
    /// rows, every worker packs all of W^(l) for its rows, so with few rows each the packing
    /// costs as much as the product; split by units, each packs only its units' rows of W and
    /// reads the whole A^(l) in place, and the units even out workers that run at different
    /// speeds. At two workers (docs/design.md) units made `wide` 1.37× (16 rows each), 1.27×
    /// (32) and 1.12× (64) as fast, `small` 1.07× (32) and 0.99× (64).
    public static let unitSplitRows = 64
    /// Products at least this many units wide are split by units whatever the rows per worker:
    /// at two workers `wide` (1024 units) ran 1.04–1.05× as fast with 128 rows each, `large`
    /// (2048) 1.00× with 256.
    public static let unitSplitWidth = 512

    /// Output units per unit of work for a split product `width` units wide over `depth`, or 0
    /// where it stays split by rows (fewer than two panels of units, or a depth too shallow for
    /// the packing of W to matter, such as the δ through a 10-unit output layer): about four
    /// units of work per worker, whole 32-unit panels, at most `Gemm.directPanelLimit` panels so
    /// that A is read in place.
    static func productUnitWidth(width: Int, depth: Int, workers: Int) -> Int {
        let panel = Gemm.tileColumns
        guard width >= 2 * panel && depth >= 2 * panel else { return 0 }
        let target = (width + 4 * workers - 1) / (4 * workers)
        return min(Gemm.directPanelLimit * panel, max(panel, (target + panel - 1) / panel * panel))
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
        for counter in nextForwardUnit { counter.value.store(0, ordering: .relaxed) }
        for counter in nextDeltaUnit { counter.value.store(0, ordering: .relaxed) }
    }

    /// The forward pass of a step over `m` rows, run by every worker with its own `rows` (their
    /// inputs and targets loaded). `synchronize` must be a barrier of all the step's workers.
    ///
    /// Split by rows, each worker runs its rows through every layer, no barrier. Each worker
    /// packs W for its own rows (as `Gemm.multiply` does), T times the packing of one worker.
    /// Packing every W once per step, shared, was slower here: a step's packed weights (2 × 7
    /// MiB for `wide`) came back from memory instead of each 1 MiB block being used from L2
    /// right after packing — the forward pass took 1.23× as long at one worker, and two workers
    /// lost as much as they saved.
    ///
    /// Split by units (`splitsByUnits`), a wide layer is cut into units of A^(l+1), taken from a
    /// shared counter, each over all m rows; a barrier before it (every row of A^(l) complete)
    /// and after the last such layer. Narrow layers stay split by rows.
    public func forward(parameters: UnsafePointer<Float>, rows: Range<Int>, exampleCount m: Int,
                        scratch: WorkerScratch, synchronize: () -> Void) {
        precondition(m >= 1 && m <= workspace.capacity && rows.lowerBound >= 0 && rows.upperBound <= m)
        let work = scratch.gemm.withUnsafeMutableBufferPointer { $0.baseAddress! }
        let sizes = workspace.network.sizes
        // Whether rows of this worker were written by others since the last barrier.
        var sharedRows = false
        for l in 0..<workspace.network.layerCount {
            let unitWidth = forwardUnitWidth[l]
            if unitWidth > 0 {
                synchronize()
                eachUnit(of: sizes[l + 1], width: unitWidth, counter: nextForwardUnit[l]) { units in
                    workspace.forward(layer: l, parameters: parameters, rows: 0..<m, units: units, scratch: work)
                }
                sharedRows = true
            } else {
                if sharedRows { synchronize() }
                sharedRows = false
                workspace.forward(layer: l, parameters: parameters, rows: rows, units: 0..<sizes[l + 1], scratch: work)
            }
        }
        if sharedRows { synchronize() }
    }

    /// Runs `body` on units of `0 ..< count`, `width` at a time, taken from `counter` until none
    /// is left.
    @inline(__always)
    private func eachUnit(of count: Int, width: Int, counter: UnitCounter, _ body: (Range<Int>) -> Void) {
        let units = (count + width - 1) / width
        while true {
            let unit = counter.value.add(1, ordering: .relaxed).oldValue
            if unit >= units { return }
            let first = unit &* width
            body(first..<min(count, first &+ width))
        }
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
            // Δ^(l) = (Δ^(l+1) · W) ∘ f'(A^(l)), by units or for the worker's rows.
            if l > 0 && deltaUnitWidth[l] > 0 {
                // Every row of Δ^(l+1): the output layer's δ was made row by row just now; a
                // lower layer's is complete since that layer's barrier.
                if l == last { synchronize() }
                eachUnit(of: inCount, width: deltaUnitWidth[l], counter: nextDeltaUnit[l]) {
                    workspace.propagateDelta(layer: l, parameters: p, rows: 0..<m, units: $0, scratch: work)
                }
            } else if l > 0 && !rows.isEmpty {
                workspace.propagateDelta(layer: l, parameters: p, rows: rows, units: 0..<inCount, scratch: work)
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
