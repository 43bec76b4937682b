/// Matrix products for the three batched steps of backprop, as one packed, register-blocked
/// SIMD kernel (the BLIS structure: only the micro-kernel is clever, packing and blocking are
/// plain loops), plus the naive reference it is tested against.
///
/// Every product has the form C [M × N] (+)= A [M × K] · B [K × N], where A and B are given as
/// a base pointer with a row stride and a column stride, so transposed operands need no copy
/// beyond packing. C is row-major with leading dimension `ldc`.
///
/// Summation order: each C element is one chain of fused multiply–adds over k = 0 … K−1 in
/// order, starting from 0 (or from C's old value when accumulating). Blocking over K continues
/// the same chain through C, so an element's value depends only on its own row of A and column
/// of B — never on which tile, batch or worker it lands in. The parallel runtime's determinism
/// rests on this.
public struct StridedMatrix {
    public var base: UnsafePointer<Float>
    public var rowStride: Int
    public var columnStride: Int

    @inlinable
    public init(_ base: UnsafePointer<Float>, rowStride: Int, columnStride: Int) {
        self.base = base
        self.rowStride = rowStride
        self.columnStride = columnStride
    }

    @inline(__always)
    subscript(row: Int, column: Int) -> Float { base[row &* rowStride &+ column &* columnStride] }
}

public enum Gemm {
    /// Rows of the register tile: 6 rows × 2 vectors = 12 accumulators, leaving room in the 16
    /// (AVX2) or 32 (AVX-512) vector registers for two B vectors and a broadcast. The 6×32 tile
    /// with SIMD16 reached ~105 GFLOP/s on one core here (PLATFORM-NOTES). `multiply` runs two
    /// at once (`TilePair`) wherever 12 rows remain.
    public static let tileRows = 6
    /// Columns of the register tile: two SIMD16<Float> vectors.
    public static let tileColumns = 32
    /// Depth of one packed block. 256 × 32 floats of B (32 KiB) stream from L2 while the 6 × 256
    /// A panel (6 KiB) stays in L1. Alternating `mlpd bench configs/bench/wide.yaml --threads 1`
    /// runs of builds with other depths (six pairs each): 128 ran 0.99× as fast, 512 0.91×
    /// (its 2 MiB block no longer fits L2 beside the rest).
    public static let depthBlock = 256
    /// Columns of B packed at once: 256 × 1024 floats = 1 MiB, which fits the 2 MiB L2. Measured
    /// as `depthBlock` was: 2048 columns ran 0.95× as fast on `wide`; 512, 1.0–1.04× on `wide`
    /// (quiet pairs 0.99–1.07×) and 0.98× on `large`; 256, 0.96× on `large`. 512 deep by 256
    /// wide (C stored half as often; every block few enough panels to read A in place): `wide`
    /// 1.02× (6 of 8 pairs faster), `large` 0.97× (2 of 6).
    public static let columnBlock = 1024

    /// Most B panels per packed block for which a row-major A is read in place rather than
    /// packed. Side by side at 1 thread (alternating runs of `mlpd bench`): in place for every
    /// panel count made `small` (≤ 8 panels per layer) ~3% faster, `wide` no faster and `large`
    /// (32 panels, A rows 8 KiB apart) ~10% slower; packing pays once it is amortised over
    /// many panels.
    public static let directPanelLimit = 8

    /// C = A·B (`accumulate == false`) or C += A·B, with the packed SIMD kernel for the vector
    /// width MLPCore was compiled for (`KernelISA.wideVectors`). `scratch` must hold
    /// `scratchCount` floats.
    public static func multiply(
        _ c: UnsafeMutablePointer<Float>, ldc: Int, _ a: StridedMatrix, _ b: StridedMatrix,
        m: Int, n: Int, k: Int, accumulate: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        if KernelISA.wideVectors {
            multiply(c, ldc: ldc, a, b, m: m, n: n, k: k, accumulate: accumulate, scratch: scratch, vector: SIMD16<Float>.self)
        } else {
            multiply(c, ldc: ldc, a, b, m: m, n: n, k: k, accumulate: accumulate, scratch: scratch, vector: SIMD8<Float>.self)
        }
    }

    /// `multiply` with register tiles of `V`: SIMD16 (32 of them, AVX-512) runs 12 × 32 tile
    /// pairs; SIMD8 (16 registers, AVX2) runs each 6 × 32 tile as two 6 × 16 halves. Both give
    /// the same bits. Tests call it with either width on any machine.
    static func multiply<V: SIMD>(
        _ c: UnsafeMutablePointer<Float>, ldc: Int, _ a: StridedMatrix, _ b: StridedMatrix,
        m: Int, n: Int, k: Int, accumulate: Bool, scratch: UnsafeMutablePointer<Float>, vector: V.Type
    ) where V.Scalar == Float {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate { for i in 0..<m { (c + i &* ldc).update(repeating: 0, count: n) } }
            return
        }
        let pairs = 2 &* V.scalarCount == tileColumns
        let packedA = scratch
        let packedB = scratch + 2 &* tileRows &* depthBlock
        var jc = 0
        while jc < n {
            let nc = min(columnBlock, n &- jc)
            let panels = (nc &+ tileColumns &- 1) / tileColumns
            var pc = 0
            while pc < k {
                let kc = min(depthBlock, k &- pc)
                let loadC = accumulate || pc > 0
                packB(packedB, b, rowStart: pc, rows: kc, columnStart: jc, columns: nc)
                var ic = 0
                while ic < m {
                    // Two 6-row tiles at once where 12 rows remain (`TilePair`), else one.
                    let pair = pairs && m &- ic >= 2 &* tileRows
                    let mr = pair ? 2 &* tileRows : min(tileRows, m &- ic)
                    // With few B panels to amortise it over, a full panel of a row-major A is read
                    // in place: the micro-kernel broadcasts straight from its rows (one stream
                    // each), saving the scalar packing copy (~6 loads and stores per k). Other
                    // panels are packed, a pair's halves one after the other.
                    let direct = a.columnStride == 1 && mr >= tileRows && panels <= directPanelLimit
                    let (aPanel, aRowStride, aColumnStride) = direct
                        ? (a.base + (ic &* a.rowStride &+ pc), a.rowStride, 1)
                        : (UnsafePointer(packedA), 1, tileRows)
                    let lowerPanel = direct ? aPanel + tileRows &* a.rowStride : aPanel + tileRows &* kc
                    if !direct {
                        packA(packedA, a, rowStart: ic, rows: min(mr, tileRows), columnStart: pc, columns: kc)
                        if pair {
                            packA(packedA + tileRows &* kc, a, rowStart: ic &+ tileRows, rows: tileRows,
                                  columnStart: pc, columns: kc)
                        }
                    }
                    for p in 0..<panels {
                        let j = jc &+ p &* tileColumns
                        let nr = min(tileColumns, n &- j)
                        let panel = packedB + p &* kc &* tileColumns
                        let tile = c + (ic &* ldc &+ j)
                        if pair && nr == tileColumns {
                            var tiles = loadC ? TilePair<V>(loading: tile, ldc: ldc) : TilePair<V>()
                            // Packed A gets its own copy with constant strides, so the twelve
                            // broadcasts address A by immediate offsets (with the strides as
                            // variables the loop spent ten integer additions per k on them).
                            if direct {
                                tiles.accumulate(kc: kc, upper: aPanel, lower: lowerPanel, rowStride: aRowStride,
                                                 columnStride: 1, b: panel)
                            } else {
                                tiles.accumulate(kc: kc, upper: aPanel, lower: lowerPanel, rowStride: 1,
                                                 columnStride: tileRows, b: panel)
                            }
                            tiles.store(to: tile, ldc: ldc)
                        } else if mr == tileRows && nr == tileColumns {
                            microKernel(kc: kc, a: aPanel, aRowStride: aRowStride, aColumnStride: aColumnStride,
                                        b: panel, c: tile, ldc: ldc, loadC: loadC, vector: V.self)
                        } else if !pair && nr == tileColumns {
                            // The last rows, fewer than six, across a full panel: a tile of just
                            // those rows, straight on C.
                            rowEdgeTile(kc: kc, a: aPanel, aRowStride: aRowStride, aColumnStride: aColumnStride,
                                        b: panel, c: tile, ldc: ldc, rows: mr, loadC: loadC, vector: V.self)
                        } else {
                            edgeTile(kc: kc, a: aPanel, aRowStride: aRowStride, aColumnStride: aColumnStride,
                                     b: panel, c: tile, ldc: ldc, rows: min(mr, tileRows), columns: nr, loadC: loadC,
                                     vector: V.self)
                            if pair {
                                edgeTile(kc: kc, a: lowerPanel, aRowStride: aRowStride, aColumnStride: aColumnStride,
                                         b: panel, c: tile + tileRows &* ldc, ldc: ldc, rows: tileRows, columns: nr,
                                         loadC: loadC, vector: V.self)
                            }
                        }
                    }
                    ic &+= mr
                }
                pc &+= kc
            }
            jc &+= nc
        }
    }

    /// Floats of scratch memory `multiply` needs.
    public static var scratchCount: Int { 2 * tileRows * depthBlock + depthBlock * columnBlock }

    /// Packs rows `rowStart..<rowStart+rows` × columns `columnStart..<+columns` of A into
    /// column-interleaved form: `packed[k * tileRows + r]`, rows past the edge zero.
    @inline(__always)
    static func packA(_ packed: UnsafeMutablePointer<Float>, _ a: StridedMatrix,
                      rowStart: Int, rows: Int, columnStart: Int, columns: Int) {
        for k in 0..<columns {
            let out = packed + k &* tileRows
            for r in 0..<tileRows {
                out[r] = r < rows ? a[rowStart &+ r, columnStart &+ k] : 0
            }
        }
    }

    /// Packs a K-block of B into panels of `tileColumns` columns: panel p holds
    /// `packed[p * rows * tileColumns + k * tileColumns + j]`, columns past the edge zero.
    @inline(__always)
    static func packB(_ packed: UnsafeMutablePointer<Float>, _ b: StridedMatrix,
                      rowStart: Int, rows: Int, columnStart: Int, columns: Int) {
        let panels = (columns &+ tileColumns &- 1) / tileColumns
        // A row-major B's full panels are copied row by row, two vector moves per panel:
        // each row of the block is read front to back, so the block streams from memory like
        // a memcpy. Panel by panel, each 128-byte piece came from a different row 4 KiB away
        // (one per k), and the copy ran at 0.85–0.9× memcpy's speed from L3 (`wide`'s 1024 ×
        // 1024 W, evicted from L2 before each copy); in the trainer, row by row made `wide`
        // and `large` ~2 % faster at one thread.
        let rowMajorPanels = b.columnStride == 1 ? columns / tileColumns : 0
        if rowMajorPanels > 0 {
            typealias V = SIMD16<Float>
            let panelBytes = rows &* tileColumns &* 4
            for k in 0..<rows {
                let source = UnsafeRawPointer(b.base + ((rowStart &+ k) &* b.rowStride &+ columnStart))
                let out = UnsafeMutableRawPointer(packed + k &* tileColumns)
                var (sourceOffset, outOffset) = (0, 0)
                for _ in 0..<rowMajorPanels {
                    out.storeBytes(of: source.loadUnaligned(fromByteOffset: sourceOffset, as: V.self),
                                   toByteOffset: outOffset, as: V.self)
                    out.storeBytes(of: source.loadUnaligned(fromByteOffset: sourceOffset &+ 64, as: V.self),
                                   toByteOffset: outOffset &+ 64, as: V.self)
                    sourceOffset &+= tileColumns &* 4
                    outOffset &+= panelBytes
                }
            }
        }
        for p in rowMajorPanels..<panels {
            let panel = packed + p &* rows &* tileColumns
            let j0 = p &* tileColumns
            let width = min(tileColumns, columns &- j0)
            if b.columnStride == 1 {
                for k in 0..<rows {
                    let source = b.base + ((rowStart &+ k) &* b.rowStride &+ columnStart &+ j0)
                    let out = panel + k &* tileColumns
                    out.update(from: source, count: width)
                    (out + width).update(repeating: 0, count: tileColumns &- width)
                }
            } else if b.rowStride == 1 && width == tileColumns {
                // Transposed source (Wᵀ in the forward pass), full panel: 16 × 16 blocks through
                // registers — 16 contiguous loads, an in-register transpose, 16 contiguous
                // stores. The element-wise loop below compiled to `vscatterqps` stores, ~9% of a
                // `small` step at 1 thread (perf).
                let source = b.base + ((columnStart &+ j0) &* b.columnStride &+ rowStart)
                var k = 0
                while k &+ 16 <= rows {
                    transpose16(panel + k &* tileColumns, tileColumns, source + k, b.columnStride)
                    transpose16(panel + (k &* tileColumns &+ 16), tileColumns, source + (16 &* b.columnStride &+ k), b.columnStride)
                    k &+= 16
                }
                for j in 0..<tileColumns {
                    let column = source + j &* b.columnStride
                    for kk in k..<rows { panel[kk &* tileColumns &+ j] = column[kk] }
                }
            } else {
                // Transposed source (W^T in the forward pass): walk each source row contiguously.
                if width < tileColumns {
                    for k in 0..<rows { (panel + (k &* tileColumns &+ width)).update(repeating: 0, count: tileColumns &- width) }
                }
                for j in 0..<width {
                    let source = b.base + ((columnStart &+ j0 &+ j) &* b.columnStride &+ rowStart &* b.rowStride)
                    for k in 0..<rows { panel[k &* tileColumns &+ j] = source[k &* b.rowStride] }
                }
            }
        }
    }

    /// out[c][r] = source[r][c] for a 16 × 16 block: row r of `source` is the 16 floats at
    /// `source + r * sourceStride`, row c of `out` the 16 at `out + c * outStride`. Four rounds
    /// of interleaving row i with row i + 8 rotate the 8-bit (row, column) index by one bit
    /// each, so after four rounds row and column have swapped; each interleave is one
    /// `vpermt2ps` (checked in the release object code).
    @inline(__always)
    static func transpose16(_ out: UnsafeMutablePointer<Float>, _ outStride: Int,
                            _ source: UnsafePointer<Float>, _ sourceStride: Int) {
        typealias V = SIMD16<Float>
        @inline(__always) func low(_ x: V, _ y: V) -> V {
            V(x[0], y[0], x[1], y[1], x[2], y[2], x[3], y[3], x[4], y[4], x[5], y[5], x[6], y[6], x[7], y[7])
        }
        @inline(__always) func high(_ x: V, _ y: V) -> V {
            V(x[8], y[8], x[9], y[9], x[10], y[10], x[11], y[11], x[12], y[12], x[13], y[13], x[14], y[14], x[15], y[15])
        }
        let s = UnsafeRawPointer(source), stride = sourceStride &* 4
        @inline(__always) func row(_ r: Int) -> V { s.loadUnaligned(fromByteOffset: r &* stride, as: V.self) }
        var (r0, r1, r2, r3, r4, r5, r6, r7) = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
        var (r8, r9, r10, r11, r12, r13, r14, r15) = (row(8), row(9), row(10), row(11), row(12), row(13), row(14), row(15))
        for _ in 0..<4 {
            (r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15) = (
                low(r0, r8), high(r0, r8), low(r1, r9), high(r1, r9), low(r2, r10), high(r2, r10),
                low(r3, r11), high(r3, r11), low(r4, r12), high(r4, r12), low(r5, r13), high(r5, r13),
                low(r6, r14), high(r6, r14), low(r7, r15), high(r7, r15))
        }
        let o = UnsafeMutableRawPointer(out), oStride = outStride &* 4
        @inline(__always) func store(_ v: V, _ c: Int) { o.storeBytes(of: v, toByteOffset: c &* oStride, as: V.self) }
        store(r0, 0); store(r1, 1); store(r2, 2); store(r3, 3); store(r4, 4); store(r5, 5); store(r6, 6); store(r7, 7)
        store(r8, 8); store(r9, 9); store(r10, 10); store(r11, 11); store(r12, 12); store(r13, 13); store(r14, 14); store(r15, 15)
    }

    /// The first `rows` (1–5) rows of a 6 × 32 tile, on C in place: each k, one broadcast and
    /// two FMAs per present row only. Run as a 6-row tile on a zero-padded copy, the 2 rows left
    /// of a 128-example batch cost three times their share (4 of every 132 rows computed were
    /// padding: 3 % of `small`'s forward and δ products), plus the copies in and out.
    @inline(never)
    static func rowEdgeTile<V: SIMD>(kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
                                     b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int,
                                     loadC: Bool, vector: V.Type) where V.Scalar == Float {
        @inline(__always) func run<R: TileRowCount>(_: R.Type) {
            microKernel(kc: kc, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, b: b, c: c, ldc: ldc,
                        loadC: loadC, vector: V.self, rows: R.self)
        }
        switch rows {
        case 1: run(TileRows1.self)
        case 2: run(TileRows2.self)
        case 3: run(TileRows3.self)
        case 4: run(TileRows4.self)
        default: run(TileRows5.self)
        }
    }

    /// A tile with fewer than 32 columns (the last panel of an output that is not a multiple
    /// of 32, such as the 10-output layer), and any rows: run the full micro-kernel on a
    /// zero-padded 6 × 32 copy, then copy back the valid part. Same arithmetic per element as
    /// a full tile. Full panels with fewer rows go to `rowEdgeTile` instead.
    @inline(never)
    static func edgeTile<V: SIMD>(kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
                                  b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int,
                                  columns: Int, loadC: Bool, vector: V.Type) where V.Scalar == Float {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: tileRows * tileColumns) { temp in
            let t = temp.baseAddress!
            t.update(repeating: 0, count: tileRows * tileColumns)
            if loadC {
                for r in 0..<rows { (t + r &* tileColumns).update(from: c + r &* ldc, count: columns) }
            }
            microKernel(kc: kc, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, b: b, c: t,
                        ldc: tileColumns, loadC: loadC, vector: V.self)
            for r in 0..<rows { (c + r &* ldc).update(from: t + r &* tileColumns, count: columns) }
        }
    }

    /// Register tiles of `V` across one 32-column panel (`tileHalves(V.self)` of them).
    @inline(__always)
    static func tileHalves<V: SIMD>(_: V.Type) -> Int where V.Scalar == Float { tileColumns / (2 &* V.scalarCount) }

    /// The 6 × 32 block of C: C[6 × 32] (+)= A[6 × kc] · B̃[kc × 32], B̃ a packed panel and A's
    /// element (r, k) at `a[r * aRowStride + k * aColumnStride]` (packed: 1, tileRows). One
    /// `Tile<V>` per half for SIMD8, one for the whole panel for SIMD16: each k, one broadcast
    /// and two FMAs per row.
    @inline(__always)
    static func microKernel<V: SIMD>(kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
                                     b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, loadC: Bool,
                                     vector: V.Type) where V.Scalar == Float {
        microKernel(kc: kc, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, b: b, c: c, ldc: ldc,
                    loadC: loadC, vector: V.self, rows: TileRows6.self)
    }

    /// `microKernel` for the first `R.count` rows of the block only.
    @inline(__always)
    static func microKernel<V: SIMD, R: TileRowCount>(
        kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, loadC: Bool, vector: V.Type, rows: R.Type
    ) where V.Scalar == Float {
        let width = 2 &* V.scalarCount
        for half in 0..<tileHalves(V.self) {
            let (bh, ch) = (b + half &* width, c + half &* width)
            var tile = loadC ? Tile<V>(loading: ch, ldc: ldc, rows: R.self) : Tile<V>()
            tile.accumulate(kc: kc, a: a, rowStride: aRowStride, columnStride: aColumnStride, b: bh, rows: R.self)
            tile.store(to: ch, ldc: ldc, rows: R.self)
        }
    }

    /// A 6 × 2w tile held in registers, w = V.scalarCount: row r is (c_r0, c_r1), twelve
    /// accumulators. With SIMD16 (AVX-512) it is a whole 32-column panel; with SIMD8 (AVX2,
    /// 16 registers) half of one, columns `16h ..< 16h + 16` with `b` and `c` offset by 16h.
    /// Used by value inside inlined kernels only, so it never leaves the vector registers.
    @usableFromInline
    struct Tile<V: SIMD> where V.Scalar == Float {
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()

        /// All zeros.
        @inline(__always) init() {}

        /// The tile at `c` (row stride `ldc` floats).
        @inline(__always)
        init(loading c: UnsafePointer<Float>, ldc: Int) { self.init(loading: c, ldc: ldc, rows: TileRows6.self) }

        /// The first `R.count` rows of the tile at `c`; the other rows zero.
        @inline(__always)
        init<R: TileRowCount>(loading c: UnsafePointer<Float>, ldc: Int, rows: R.Type) {
            let cr = UnsafeRawPointer(c), rowBytes = ldc &* 4
            @inline(__always) func load(_ r: Int, _ half: Int) -> V {
                r < R.count ? cr.loadUnaligned(fromByteOffset: r &* rowBytes &+ half &* MemoryLayout<V>.size, as: V.self) : V()
            }
            (c00, c01, c10, c11, c20, c21) = (load(0, 0), load(0, 1), load(1, 0), load(1, 1), load(2, 0), load(2, 1))
            (c30, c31, c40, c41, c50, c51) = (load(3, 0), load(3, 1), load(4, 0), load(4, 1), load(5, 0), load(5, 1))
        }

        @inline(__always)
        func store(to c: UnsafeMutablePointer<Float>, ldc: Int) { store(to: c, ldc: ldc, rows: TileRows6.self) }

        /// Stores the first `R.count` rows.
        @inline(__always)
        func store<R: TileRowCount>(to c: UnsafeMutablePointer<Float>, ldc: Int, rows: R.Type) {
            let cr = UnsafeMutableRawPointer(c), rowBytes = ldc &* 4
            @inline(__always) func store(_ v: V, _ r: Int, _ half: Int) {
                if r < R.count { cr.storeBytes(of: v, toByteOffset: r &* rowBytes &+ half &* MemoryLayout<V>.size, as: V.self) }
            }
            store(c00, 0, 0); store(c01, 0, 1)
            store(c10, 1, 0); store(c11, 1, 1)
            store(c20, 2, 0); store(c21, 2, 1)
            store(c30, 3, 0); store(c31, 3, 1)
            store(c40, 4, 0); store(c41, 4, 1)
            store(c50, 5, 0); store(c51, 5, 1)
        }

        /// W ← step(W, self) for the tile of W at `w` (row stride `ldc`): the SGD update
        /// with this tile as the summed gradient, in registers.
        @inline(__always)
        func applying(_ step: SGDStep, to w: UnsafeMutablePointer<Float>, ldc: Int) {
            var parameters = Tile(loading: w, ldc: ldc)
            (parameters.c00, parameters.c01) = (step.updated(parameters.c00, gradientSum: c00), step.updated(parameters.c01, gradientSum: c01))
            (parameters.c10, parameters.c11) = (step.updated(parameters.c10, gradientSum: c10), step.updated(parameters.c11, gradientSum: c11))
            (parameters.c20, parameters.c21) = (step.updated(parameters.c20, gradientSum: c20), step.updated(parameters.c21, gradientSum: c21))
            (parameters.c30, parameters.c31) = (step.updated(parameters.c30, gradientSum: c30), step.updated(parameters.c31, gradientSum: c31))
            (parameters.c40, parameters.c41) = (step.updated(parameters.c40, gradientSum: c40), step.updated(parameters.c41, gradientSum: c41))
            (parameters.c50, parameters.c51) = (step.updated(parameters.c50, gradientSum: c50), step.updated(parameters.c51, gradientSum: c51))
            parameters.store(to: w, ldc: ldc)
        }

        /// self += A[6 × kc] · B̃[kc × 2w] (B̃'s rows `tileColumns` floats apart), A's element (r, k) at `a[r * rowStride + k *
        /// columnStride]`: each element one FMA chain over k in order.
        @inline(__always)
        mutating func accumulate(kc: Int, a: UnsafePointer<Float>, rowStride: Int, columnStride: Int,
                                 b: UnsafePointer<Float>) {
            accumulate(kc: kc, a: a, rowStride: rowStride, columnStride: columnStride, b: b, rows: TileRows6.self)
        }

        /// `accumulate` for the first `R.count` rows only (A's other rows are not read).
        @inline(__always)
        mutating func accumulate<R: TileRowCount>(kc: Int, a: UnsafePointer<Float>, rowStride: Int, columnStride: Int,
                                                  b: UnsafePointer<Float>, rows: R.Type) {
            let rb = UnsafeRawPointer(b)
            var ap = a
            var bOffset = 0
            for _ in 0..<kc {
                let b0 = rb.loadUnaligned(fromByteOffset: bOffset, as: V.self)
                let b1 = rb.loadUnaligned(fromByteOffset: bOffset &+ MemoryLayout<V>.size, as: V.self)
                addProducts(ap, rowStride: rowStride, b0, b1, rows: R.self)
                ap += columnStride
                bOffset &+= tileColumns &* 4
            }
        }

        /// One k of `accumulate`: row r gains A's element `a[r * rowStride]` times (b0, b1),
        /// one broadcast and two FMAs per row.
        @inline(__always)
        mutating func addProducts(_ a: UnsafePointer<Float>, rowStride: Int, _ b0: V, _ b1: V) {
            addProducts(a, rowStride: rowStride, b0, b1, rows: TileRows6.self)
        }

        /// `addProducts` for the first `R.count` rows (a constant once specialised, so the
        /// other rows' code is gone).
        @inline(__always)
        mutating func addProducts<R: TileRowCount>(_ a: UnsafePointer<Float>, rowStride: Int, _ b0: V, _ b1: V,
                                                   rows: R.Type) {
            var s = V(repeating: a[0]); c00.addProduct(s, b0); c01.addProduct(s, b1)
            if R.count > 1 { s = V(repeating: a[rowStride]); c10.addProduct(s, b0); c11.addProduct(s, b1) }
            if R.count > 2 { s = V(repeating: a[2 &* rowStride]); c20.addProduct(s, b0); c21.addProduct(s, b1) }
            if R.count > 3 { s = V(repeating: a[3 &* rowStride]); c30.addProduct(s, b0); c31.addProduct(s, b1) }
            if R.count > 4 { s = V(repeating: a[4 &* rowStride]); c40.addProduct(s, b0); c41.addProduct(s, b1) }
            if R.count > 5 { s = V(repeating: a[5 &* rowStride]); c50.addProduct(s, b0); c51.addProduct(s, b1) }
        }

        /// Element-wise x + y (x the left operand, as in the block tree's left-to-right sums).
        @inline(__always)
        static func + (x: Tile, y: Tile) -> Tile {
            var t = Tile()
            (t.c00, t.c01, t.c10, t.c11, t.c20, t.c21) = (x.c00 + y.c00, x.c01 + y.c01, x.c10 + y.c10,
                                                          x.c11 + y.c11, x.c20 + y.c20, x.c21 + y.c21)
            (t.c30, t.c31, t.c40, t.c41, t.c50, t.c51) = (x.c30 + y.c30, x.c31 + y.c31, x.c40 + y.c40,
                                                          x.c41 + y.c41, x.c50 + y.c50, x.c51 + y.c51)
            return t
        }
    }

    /// Two 6 × 32 tiles stacked, 12 × 32 in 24 of the 32 AVX-512 registers: each k loads the
    /// two B vectors once for twelve rows, halving the B stream from L2 per multiply–add. In a
    /// throwaway harness on the forward shapes of `wide` (252 × 1024 × 784) and of the bench
    /// ceiling (384 × 1024 × 1024), operands on 2 MiB pages, 38 alternating rounds: 1.08–1.09×
    /// the single tile (~154 against ~142 GFLOP/s); 12 rows interleaved in one packed panel, the
    /// same; 14 rows (28 accumulators), 1.04–1.06×. In the trainer (two trainers on one thread,
    /// alternating blocks of steps): `wide` 1.04×, `large` 1.02×, `small` 1.01×. The block-tree
    /// kernel keeps single tiles: its per-block group sum needs 12 more registers (a pair there,
    /// its group spilled, measured 0.99×). Every element is still one FMA chain over k in order,
    /// so the bits are the single tile's.
    @usableFromInline
    struct TilePair<V: SIMD> where V.Scalar == Float {
        var upper: Tile<V>, lower: Tile<V>

        /// All zeros.
        @inline(__always) init() { (upper, lower) = (Tile(), Tile()) }

        /// The 12 × 32 tile at `c` (row stride `ldc` floats).
        @inline(__always)
        init(loading c: UnsafePointer<Float>, ldc: Int) {
            upper = Tile(loading: c, ldc: ldc)
            lower = Tile(loading: c + tileRows &* ldc, ldc: ldc)
        }

        @inline(__always)
        func store(to c: UnsafeMutablePointer<Float>, ldc: Int) {
            upper.store(to: c, ldc: ldc)
            lower.store(to: c + tileRows &* ldc, ldc: ldc)
        }

        /// self += A[12 × kc] · B̃[kc × 32], rows 0–5 of A from `upper` and rows 6–11 from
        /// `lower`, each addressed as in `Tile.accumulate`.
        @inline(__always)
        mutating func accumulate(kc: Int, upper a: UnsafePointer<Float>, lower a2: UnsafePointer<Float>,
                                 rowStride: Int, columnStride: Int, b: UnsafePointer<Float>) {
            let rb = UnsafeRawPointer(b)
            var (ap, ap2) = (a, a2)
            var bOffset = 0
            for _ in 0..<kc {
                let b0 = rb.loadUnaligned(fromByteOffset: bOffset, as: V.self)
                let b1 = rb.loadUnaligned(fromByteOffset: bOffset &+ MemoryLayout<V>.size, as: V.self)
                upper.addProducts(ap, rowStride: rowStride, b0, b1)
                lower.addProducts(ap2, rowStride: rowStride, b0, b1)
                ap += columnStride
                ap2 += columnStride
                bOffset &+= tileColumns &* 4
            }
        }
    }

    /// How many rows of a register tile are present, as a type, so that each count compiles to
    /// its own kernel without the absent rows' loads, FMAs and stores.
    @usableFromInline protocol TileRowCount { static var count: Int { get } }
    @usableFromInline enum TileRows1: TileRowCount { @usableFromInline static var count: Int { 1 } }
    @usableFromInline enum TileRows2: TileRowCount { @usableFromInline static var count: Int { 2 } }
    @usableFromInline enum TileRows3: TileRowCount { @usableFromInline static var count: Int { 3 } }
    @usableFromInline enum TileRows4: TileRowCount { @usableFromInline static var count: Int { 4 } }
    @usableFromInline enum TileRows5: TileRowCount { @usableFromInline static var count: Int { 5 } }
    @usableFromInline enum TileRows6: TileRowCount { @usableFromInline static var count: Int { 6 } }

    // MARK: - Reference

    /// The same product by the definition, one scalar FMA chain per element over k in order:
    /// the reference the packed kernel is tested against (it must agree to the bit).
    public static func referenceMultiply(
        _ c: UnsafeMutablePointer<Float>, ldc: Int, _ a: StridedMatrix, _ b: StridedMatrix,
        m: Int, n: Int, k: Int, accumulate: Bool
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = accumulate ? c[i * ldc + j] : 0
                for p in 0..<k { sum = sum.addingProduct(a[i, p], b[p, j]) }
                c[i * ldc + j] = sum
            }
        }
    }
}
