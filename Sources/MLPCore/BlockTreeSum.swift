internal import CKernel

/// Sums over examples in the canonical block tree — the reduction order that makes training
/// bit-for-bit independent of the thread count.
///
/// A minibatch of m examples is cut into blocks of `blockSize` examples from index 0 (the last
/// may be short). Inside a block, examples are added in index order. Blocks are the leaves of
/// one fixed tree of fan-in f: the node (level L, index i) covers blocks [i·f^L, (i+1)·f^L), and
/// its sum is the sum of its present children, left to right. Blocks past the end of the batch
/// are absent. Any worker range decomposes into aligned nodes (`BlockTree` in MLPRuntime), so
/// workers compute whole nodes and the upper levels combine them in the same shape.
///
/// Inside a node, the kernels run a base-f counter over the blocks: each finished block is
/// pushed on a small stack of partial sums, and f equal-level entries merge into their parent
/// at once. The stack lives in L1 (one register tile or one bias vector per entry).
public enum BlockTreeSum {
    /// Entries of the counter stack: enough for fan-in ≤ 16 and 2^40 blocks.
    public static let maxStackDepth = 64

    /// The counter over blocks of one node, for buffers of `width` floats.
    @usableFromInline
    struct Counter {
        /// `maxStackDepth` entries of `width` floats; entry e at `stack + e * width`.
        let stack: UnsafeMutablePointer<Float>
        let width: Int
        let fanIn: Int
        /// The tree level of each stack entry (small integers, exact in Float; kept in the
        /// caller's heap scratch rather than a stack temporary).
        let levelStorage: UnsafeMutablePointer<Float>
        var depth = 0

        @inline(__always)
        init(stack: UnsafeMutablePointer<Float>, width: Int, fanIn: Int, levels: UnsafeMutablePointer<Float>) {
            self.stack = stack
            self.width = width
            self.fanIn = fanIn
            self.levelStorage = levels
        }

        /// Where the next block's sum must be written.
        @inline(__always) var top: UnsafeMutablePointer<Float> { stack + depth &* width }

        /// Registers the block just written at `top` and merges complete groups.
        @inline(__always)
        mutating func pushBlock() {
            levelStorage[depth] = 0
            depth &+= 1
            mergeComplete()
        }

        /// For a register tile `block` at tree level `start` (an entry is one 6 × 32 tile; a
        /// SIMD8 tile uses its first 16 columns): takes
        /// the complete sibling groups off the stack and merges them in registers, returning the
        /// sum and its level, not yet pushed (`push`). The f − 1 left siblings are added left to
        /// right and the new block last — the same additions, in the same order, as `combine` in
        /// memory — so the sums are the same bits, without storing the block and re-loading it
        /// per level. With an empty stack left and no blocks to come, the sum is the node's: the
        /// caller stores it straight to its destination.
        @inline(__always)
        mutating func merge<V>(_ block: Gemm.Tile<V>, level start: Float) -> (Gemm.Tile<V>, Float) {
            var sum = block
            var level = start
            let siblings = fanIn &- 1
            while depth >= siblings {
                let first = depth &- siblings
                var same = 0
                while same < siblings && levelStorage[first &+ same] == level { same &+= 1 }
                guard same == siblings else { break }
                var left = Gemm.Tile<V>(loading: stack + first &* width, ldc: Gemm.tileColumns)
                for s in 1..<siblings {
                    left = left + Gemm.Tile<V>(loading: stack + (first &+ s) &* width, ldc: Gemm.tileColumns)
                }
                sum = left + sum
                depth = first
                level += 1
            }
            return (sum, level)
        }

        /// Stores `sum` as the new top entry at `level`, without merging.
        @inline(__always)
        mutating func push<V>(_ sum: Gemm.Tile<V>, level: Float) {
            sum.store(to: top, ldc: Gemm.tileColumns)
            levelStorage[depth] = level
            depth &+= 1
        }

        @inline(__always)
        mutating func mergeComplete() {
            while depth >= fanIn {
                let level = levelStorage[depth &- 1]
                var same = 1
                while same < fanIn && levelStorage[depth &- 1 &- same] == level { same &+= 1 }
                guard same == fanIn else { return }
                combine(count: fanIn, into: level + 1)
            }
        }

        /// Replaces the top `count` entries by their left-to-right sum at `level`.
        @inline(__always)
        mutating func combine(count: Int, into level: Float) {
            let first = depth &- count
            let destination = stack + first &* width
            for c in 1..<count {
                let source = stack + (first &+ c) &* width
                Self.add(destination, source, width)
            }
            depth = first &+ 1
            levelStorage[first] = level
        }

        /// Collapses a partial node (absent later blocks): trailing equal-level entries are
        /// siblings and merge into their parent; repeat up to one entry. Returns its address.
        @inline(__always)
        mutating func finish() -> UnsafeMutablePointer<Float> {
            while depth > 1 {
                let level = levelStorage[depth &- 1]
                var same = 1
                while same < depth && levelStorage[depth &- 1 &- same] == level { same &+= 1 }
                combine(count: same, into: level + 1)
            }
            return stack
        }

        @inline(__always)
        static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int) {
            var i = 0
            while i &+ 16 <= count {
                let a = UnsafeMutableRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
                let b = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(x + i).storeBytes(of: a + b, as: SIMD16<Float>.self)
                i &+= 16
            }
            while i < count { x[i] += y[i]; i &+= 1 }
        }
    }

    /// Floats of scratch `weightGradient` needs for nodes of up to `k` examples and C of up to
    /// `m` rows: every strip's packed A, then what `weightGradient(packedStrips:…)` needs.
    public static func scratchCount(k: Int, m: Int) -> Int {
        packedARows(m) * k + packedScratchCount(k: k)
    }

    /// Floats of scratch `weightGradient(packedStrips:…)` needs for depth up to `k`: the packed B
    /// block (k × columnBlock(k) ≤ max(2^18, 32k) floats for every k — not monotone in k, so
    /// the bound is used, not the product at the largest k), then the counter stack.
    public static func packedScratchCount(k: Int) -> Int {
        max(1 << 18, Gemm.tileColumns * k) + maxStackDepth * (Gemm.tileRows * Gemm.tileColumns + 1)
    }

    /// Rows of A packed by `packStrips`: m rounded up to whole strips of `Gemm.tileRows`.
    public static func packedARows(_ m: Int) -> Int { (m + Gemm.tileRows - 1) / Gemm.tileRows * Gemm.tileRows }

    /// Floats of scratch `columnSums` needs for vectors of `width`.
    public static func columnScratchCount(width: Int) -> Int { maxStackDepth * (width + 1) }

    /// Columns of B packed at once for depth k: keeps the packed block near 1 MiB (L2).
    public static func columnBlock(k: Int) -> Int {
        let columns = max(Gemm.tileColumns, (1 << 18) / max(k, 1))
        return columns / Gemm.tileColumns * Gemm.tileColumns
    }

    /// C [M × N] = the block-tree sum over k of A [M × K] · B [K × N], for the K examples of one
    /// aligned node (blocks of `blockSize` from the node's first example). Overwrites C.
    ///
    /// For ∇W = Δᵀ A: M = outputs, N = inputs, K = examples. Packs A (`packStrips`) into the
    /// front of `scratch`, then runs `weightGradient(packedStrips:…)`.
    public static func weightGradient(
        _ c: UnsafeMutablePointer<Float>, ldc: Int, _ a: StridedMatrix, _ b: StridedMatrix,
        m: Int, n: Int, k: Int, blockSize: Int, fanIn: Int, scratch: UnsafeMutablePointer<Float>
    ) {
        if m == 0 || n == 0 { return }
        packStrips(scratch, a, rows: m, examples: 0..<k, depth: k)
        weightGradient(packedStrips: scratch, c, ldc: ldc, b, m: m, n: n, k: k, blockSize: blockSize, fanIn: fanIn,
                       columnBlock: columnBlock(k: k), scratch: scratch + packedARows(m) * k)
    }

    /// `weightGradient` with A already packed by `packStrips` (depth k), B packed `columnBlock`
    /// columns at a time (a multiple of 32, at most `columnBlock(k:)`); `scratch` holds
    /// `packedScratchCount(k:)` floats.
    ///
    /// With `weights` (W, laid out like C) the caller updates W as C is produced (the node is
    /// the minibatch's whole gradient; `BatchWorkspace.sharedBackward`): while a strip is
    /// computed, the next strip's rows of W (and of C) are prefetched into L2. With `step` too,
    /// each finished register tile is applied to W by `step` right away and C is not written;
    /// without it, `finished(rows, columns)` is called as soon as that block of C is final (a
    /// strip of up to 6 rows by one packed column block), while it is still in cache.
    public static func weightGradient(
        packedStrips packedA: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, ldc: Int, _ b: StridedMatrix,
        m: Int, n: Int, k: Int, blockSize: Int, fanIn: Int, columnBlock nc: Int, scratch: UnsafeMutablePointer<Float>,
        updating weights: UnsafeMutablePointer<Float>? = nil, step: SGDStep? = nil,
        finished: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void = { _, _ in }
    ) {
        if KernelISA.wideVectors {
            weightGradient(packedStrips: packedA, c, ldc: ldc, b, m: m, n: n, k: k, blockSize: blockSize, fanIn: fanIn,
                           columnBlock: nc, scratch: scratch, updating: weights, step: step, vector: SIMD16<Float>.self,
                           finished: finished)
        } else {
            weightGradient(packedStrips: packedA, c, ldc: ldc, b, m: m, n: n, k: k, blockSize: blockSize, fanIn: fanIn,
                           columnBlock: nc, scratch: scratch, updating: weights, step: step, vector: SIMD8<Float>.self,
                           finished: finished)
        }
    }

    /// `weightGradient(packedStrips:…)` with register tiles of `V` (`Gemm.multiply`'s generic
    /// form explains the two widths); tests call it with either.
    static func weightGradient<V: SIMD>(
        packedStrips packedA: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, ldc: Int, _ b: StridedMatrix,
        m: Int, n: Int, k: Int, blockSize: Int, fanIn: Int, columnBlock nc: Int, scratch: UnsafeMutablePointer<Float>,
        updating weights: UnsafeMutablePointer<Float>?, step: SGDStep?, vector: V.Type,
        finished: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void
    ) where V.Scalar == Float {
        precondition(blockSize >= 1 && fanIn >= 2)
        precondition(step == nil || weights != nil, "an SGD step needs the weights")
        precondition(nc >= Gemm.tileColumns && nc % Gemm.tileColumns == 0 && nc <= columnBlock(k: k))
        if m == 0 || n == 0 { return }
        let tile = Gemm.tileRows * Gemm.tileColumns
        let packedB = scratch
        let stack = packedB + max(1 << 18, Gemm.tileColumns * k)
        let levels = stack + maxStackDepth * tile
        do {
            var jc = 0
            while jc < n {
                let width = min(nc, n &- jc)
                let panels = (width &+ Gemm.tileColumns &- 1) / Gemm.tileColumns
                Gemm.packB(packedB, b, rowStart: 0, rows: k, columnStart: jc, columns: width)
                var ic = 0
                while ic < m {
                    let mr = min(Gemm.tileRows, m &- ic)
                    let stripA = packedA + ic &* k
                    let nextRows = min(Gemm.tileRows, m &- (ic &+ Gemm.tileRows))
                    for p in 0..<panels {
                        let panelColumn = jc &+ p &* Gemm.tileColumns
                        let panelWidth = min(Gemm.tileColumns, n &- panelColumn)
                        if nextRows > 0, let weights {
                            let first = (ic &+ Gemm.tileRows) &* ldc &+ panelColumn
                            prefetchTile(weights + first, ldc: ldc, rows: nextRows, columns: panelWidth)
                            if step == nil { prefetchTile(c + first, ldc: ldc, rows: nextRows, columns: panelWidth) }
                        }
                        // One register tile per half panel for SIMD8, per panel for SIMD16. The
                        // halves run one after the other, each over the whole node, so they
                        // reuse the stack.
                        let tileWidth = 2 &* V.scalarCount
                        for half in 0..<Gemm.tileHalves(V.self) {
                            let j = panelColumn &+ half &* tileWidth
                            let nr = min(tileWidth, n &- j)
                            if nr <= 0 { break }
                            /// The finished full tile: to W by the step, or to C.
                            @inline(__always) func finish(_ tile: Gemm.Tile<V>) {
                                if let step, let weights {
                                    tile.applying(step, to: weights + (ic &* ldc &+ j), ldc: ldc)
                                } else {
                                    tile.store(to: c + (ic &* ldc &+ j), ldc: ldc)
                                }
                            }
                            let panel = packedB + (p &* k &* Gemm.tileColumns &+ half &* tileWidth)
                            var counter = Counter(stack: stack, width: tile, fanIn: fanIn, levels: levels)
                            var start = 0
                            if k == 0 { counter.top.update(repeating: 0, count: tile); counter.pushBlock() }
                            @inline(__always) func block() -> Gemm.Tile<V> {
                                let length = min(blockSize, k &- start)
                                var block = Gemm.Tile<V>()
                                block.accumulate(kc: length, a: stripA + start &* Gemm.tileRows, rowStride: 1,
                                                 columnStride: Gemm.tileRows, b: panel + start &* Gemm.tileColumns)
                                start &+= length
                                return block
                            }
                            let full = mr == Gemm.tileRows && nr == tileWidth
                            var stored = false
                            while start < k {
                                // The f blocks of one level-1 node are summed left to right in
                                // registers (the group and the next block take 24 of the 32 vector
                                // registers; with SIMD8 the group spills) and enter the counter as
                                // one level-1 entry: the same additions in the same order as pushing
                                // each block, without storing and re-loading every block. A node's
                                // blocks start at a multiple of f, so its groups are exactly its
                                // level-1 nodes; the last may be short, as that node's later blocks
                                // are absent.
                                var group = block()
                                var members = 1
                                while members < fanIn && start < k {
                                    group = group + block()
                                    members &+= 1
                                }
                                let (sum, level) = counter.merge(group, level: 1)
                                if full && start == k && counter.depth == 0 {
                                    // The whole node, still in registers: straight to C (or W).
                                    finish(sum)
                                    stored = true
                                } else {
                                    counter.push(sum, level: level)
                                }
                            }
                            if stored {
                                continue
                            }
                            if full {
                                // A full tile is copied out through registers: `update(from:count:)`
                                // called memmove for each 128-byte row (perf: ~4% of a `small` step).
                                finish(Gemm.Tile<V>(loading: counter.finish(), ldc: Gemm.tileColumns))
                            } else {
                                let sum = counter.finish()
                                for r in 0..<mr {
                                    let row = sum + r &* Gemm.tileColumns
                                    if let step, let weights {
                                        let w = weights + ((ic &+ r) &* ldc &+ j)
                                        for q in 0..<nr { w[q] = step.updated(w[q], gradientSum: row[q]) }
                                    } else {
                                        (c + ((ic &+ r) &* ldc &+ j)).update(from: row, count: nr)
                                    }
                                }
                            }
                        }
                    }
                    finished(ic..<(ic &+ mr), jc..<(jc &+ width))
                    ic &+= Gemm.tileRows
                }
                jc &+= width
            }
        }
    }

    /// Packs columns `examples` of A [rows × depth], strip after strip in `Gemm.packA`'s layout
    /// for depth `depth`: strip s (rows 6s …) at `packed + 6s · depth`, column k of it at
    /// `+ 6k`, rows past the edge zero. Disjoint column ranges write disjoint floats, so the
    /// workers of a step can each pack the examples they own into one shared buffer.
    ///
    /// For Δᵀ (row stride 1) the strips are cut from Δ's rows, 16 strips at a time, reading each
    /// row's 96 floats front to back. Packing each strip from Δ on its own — 6 floats from each
    /// of k rows a page apart, again for every column block — cost ~22% of the kernel on
    /// `large` (k = 512, four column blocks) and ~10% on `wide` (measured by skipping it).
    public static func packStrips(_ packed: UnsafeMutablePointer<Float>, _ a: StridedMatrix, rows: Int,
                                  examples: Range<Int>, depth: Int) {
        precondition(examples.lowerBound >= 0 && examples.upperBound <= depth)
        let fullStrips = rows / Gemm.tileRows
        let stripFloats = Gemm.tileRows &* depth
        if a.rowStride == 1 {
            typealias V = SIMD4<Float>
            let group = 16
            var first = 0
            while first < fullStrips {
                let count = min(group, fullStrips &- first)
                for k in examples {
                    let source = UnsafeRawPointer(a.base + (first &* Gemm.tileRows &+ k &* a.columnStride))
                    var out = UnsafeMutableRawPointer(packed + (first &* stripFloats &+ k &* Gemm.tileRows))
                    for s in 0..<count {
                        // Two overlapping 4-float moves carry the strip's 6 floats.
                        let offset = s &* Gemm.tileRows &* 4
                        let low = source.loadUnaligned(fromByteOffset: offset, as: V.self)
                        let high = source.loadUnaligned(fromByteOffset: offset &+ 8, as: V.self)
                        out.storeBytes(of: low, as: V.self)
                        out.storeBytes(of: high, toByteOffset: 8, as: V.self)
                        out += stripFloats &* 4
                    }
                }
                first &+= count
            }
        } else {
            for s in 0..<fullStrips {
                Gemm.packA(packed + (s &* stripFloats &+ examples.lowerBound &* Gemm.tileRows), a,
                           rowStart: s &* Gemm.tileRows, rows: Gemm.tileRows,
                           columnStart: examples.lowerBound, columns: examples.count)
            }
        }
        let edge = fullStrips &* Gemm.tileRows
        if edge < rows {
            Gemm.packA(packed + (fullStrips &* stripFloats &+ examples.lowerBound &* Gemm.tileRows), a,
                       rowStart: edge, rows: rows &- edge, columnStart: examples.lowerBound, columns: examples.count)
        }
    }

    /// Prefetches `rows` × `columns` (≤ 32) floats at `start` (row stride `ldc`) into L2: the
    /// first and last float of each row, both lines of a row that starts on a cache line (rows
    /// of W and of the gradient do when the layer's width is a multiple of 16).
    @inline(__always)
    static func prefetchTile(_ start: UnsafePointer<Float>, ldc: Int, rows: Int, columns: Int) {
        for r in 0..<rows {
            let row = start + r &* ldc
            mlpd_prefetch_l2(row)
            mlpd_prefetch_l2(row + (columns &- 1))
        }
    }

    /// sums [width] = the block-tree sum over the `rows` rows of `values` [rows × width]: ∇b.
    /// `scratch` holds `columnScratchCount(width:)` floats. Overwrites `sums`.
    public static func columnSums(
        _ sums: UnsafeMutablePointer<Float>, of values: UnsafePointer<Float>, rows: Int, width: Int,
        blockSize: Int, fanIn: Int, scratch: UnsafeMutablePointer<Float>
    ) {
        do {
            var counter = Counter(stack: scratch, width: width, fanIn: fanIn, levels: scratch + maxStackDepth * width)
            var start = 0
            if rows == 0 { counter.top.update(repeating: 0, count: width); counter.pushBlock() }
            while start < rows {
                let block = counter.top
                block.update(repeating: 0, count: width)
                for r in start..<min(start &+ blockSize, rows) {
                    Counter.add(block, values + r &* width, width)
                }
                counter.pushBlock()
                start &+= blockSize
            }
            sums.update(from: counter.finish(), count: width)
        }
    }

    // MARK: - Reference

    /// The same sum by the definition, recursively over the tree, one scalar FMA chain per
    /// element inside each block: what the kernels must equal to the bit.
    public static func reference(
        blocks: Int, blockSum: (Int) -> [Float], fanIn: Int
    ) -> [Float] {
        var level = 0
        var span = 1
        while span < blocks { span *= fanIn; level += 1 }
        func node(_ level: Int, _ index: Int) -> [Float]? {
            if level == 0 { return index < blocks ? blockSum(index) : nil }
            var total: [Float]? = nil
            for child in 0..<fanIn {
                guard let part = node(level - 1, index * fanIn + child) else { continue }
                if var t = total {
                    for i in t.indices { t[i] += part[i] }
                    total = t
                } else {
                    total = part
                }
            }
            return total
        }
        return node(level, 0) ?? []
    }
}
