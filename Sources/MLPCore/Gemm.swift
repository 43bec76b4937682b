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
    /// with SIMD16 reached ~105 GFLOP/s on one core here (PLATFORM-NOTES).
    public static let tileRows = 6
    /// Columns of the register tile: two SIMD16<Float> vectors.
    public static let tileColumns = 32
    /// Depth of one packed block. 256 × 32 floats of B (32 KiB) stream from L2 while the 6 × 256
    /// A panel (6 KiB) stays in L1.
    public static let depthBlock = 256
    /// Columns of B packed at once: 256 × 1024 floats = 1 MiB, which fits the 2 MiB L2.
    public static let columnBlock = 1024

    /// C = A·B (`accumulate == false`) or C += A·B, with the packed SIMD kernel.
    /// `scratch` must hold `scratchCount` floats.
    public static func multiply(
        _ c: UnsafeMutablePointer<Float>, ldc: Int, _ a: StridedMatrix, _ b: StridedMatrix,
        m: Int, n: Int, k: Int, accumulate: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate { for i in 0..<m { (c + i &* ldc).update(repeating: 0, count: n) } }
            return
        }
        let packedA = scratch
        let packedB = scratch + tileRows * depthBlock
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
                    let mr = min(tileRows, m &- ic)
                    packA(packedA, a, rowStart: ic, rows: mr, columnStart: pc, columns: kc)
                    for p in 0..<panels {
                        let j = jc &+ p &* tileColumns
                        let nr = min(tileColumns, n &- j)
                        let panel = packedB + p &* kc &* tileColumns
                        let tile = c + (ic &* ldc &+ j)
                        if mr == tileRows && nr == tileColumns {
                            microKernel(kc: kc, a: packedA, b: panel, c: tile, ldc: ldc, loadC: loadC)
                        } else {
                            edgeTile(kc: kc, a: packedA, b: panel, c: tile, ldc: ldc, rows: mr, columns: nr, loadC: loadC)
                        }
                    }
                    ic &+= tileRows
                }
                pc &+= kc
            }
            jc &+= nc
        }
    }

    /// Floats of scratch memory `multiply` needs.
    public static var scratchCount: Int { tileRows * depthBlock + depthBlock * columnBlock }

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
        for p in 0..<panels {
            let panel = packed + p &* rows &* tileColumns
            let j0 = p &* tileColumns
            let width = min(tileColumns, columns &- j0)
            if b.columnStride == 1 && width == tileColumns {
                // Two vector moves per k: `update(from:count:)` called memmove for each 128-byte
                // row, which took ~7% of a `small` step (perf, 1 thread).
                typealias V = SIMD16<Float>
                var source = UnsafeRawPointer(b.base + (rowStart &* b.rowStride &+ columnStart &+ j0))
                let sourceStride = b.rowStride &* 4
                var out = UnsafeMutableRawPointer(panel)
                for _ in 0..<rows {
                    out.storeBytes(of: source.loadUnaligned(as: V.self), as: V.self)
                    out.storeBytes(of: source.loadUnaligned(fromByteOffset: 64, as: V.self), toByteOffset: 64, as: V.self)
                    source += sourceStride
                    out += tileColumns &* 4
                }
            } else if b.columnStride == 1 {
                for k in 0..<rows {
                    let source = b.base + ((rowStart &+ k) &* b.rowStride &+ columnStart &+ j0)
                    let out = panel + k &* tileColumns
                    out.update(from: source, count: width)
                    (out + width).update(repeating: 0, count: tileColumns &- width)
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

    /// A partial tile: run the full micro-kernel on a zero-padded 6 × 32 copy, then copy back
    /// the valid part. Same arithmetic per element as a full tile.
    @inline(never)
    static func edgeTile(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, loadC: Bool) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: tileRows * tileColumns) { temp in
            let t = temp.baseAddress!
            t.update(repeating: 0, count: tileRows * tileColumns)
            if loadC {
                for r in 0..<rows { (t + r &* tileColumns).update(from: c + r &* ldc, count: columns) }
            }
            microKernel(kc: kc, a: a, b: b, c: t, ldc: tileColumns, loadC: loadC)
            for r in 0..<rows { (c + r &* ldc).update(from: t + r &* tileColumns, count: columns) }
        }
    }

    /// The 6 × 32 register tile: C[6 × 32] (+)= Ã[6 × kc] · B̃[kc × 32] from packed operands,
    /// 12 SIMD16 accumulators, one broadcast and two FMAs per row and k.
    @inline(__always)
    static func microKernel(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                            c: UnsafeMutablePointer<Float>, ldc: Int, loadC: Bool) {
        typealias V = SIMD16<Float>
        let rb = UnsafeRawPointer(b)
        let cr = UnsafeMutableRawPointer(c)
        let rowBytes = ldc &* 4
        @inline(__always) func load(_ r: Int, _ half: Int) -> V {
            loadC ? cr.loadUnaligned(fromByteOffset: r &* rowBytes &+ half &* 64, as: V.self) : V()
        }
        var c00 = load(0, 0), c01 = load(0, 1)
        var c10 = load(1, 0), c11 = load(1, 1)
        var c20 = load(2, 0), c21 = load(2, 1)
        var c30 = load(3, 0), c31 = load(3, 1)
        var c40 = load(4, 0), c41 = load(4, 1)
        var c50 = load(5, 0), c51 = load(5, 1)
        var ap = a
        var bOffset = 0
        for _ in 0..<kc {
            let b0 = rb.loadUnaligned(fromByteOffset: bOffset, as: V.self)
            let b1 = rb.loadUnaligned(fromByteOffset: bOffset &+ 64, as: V.self)
            var s = V(repeating: ap[0]); c00.addProduct(s, b0); c01.addProduct(s, b1)
            s = V(repeating: ap[1]); c10.addProduct(s, b0); c11.addProduct(s, b1)
            s = V(repeating: ap[2]); c20.addProduct(s, b0); c21.addProduct(s, b1)
            s = V(repeating: ap[3]); c30.addProduct(s, b0); c31.addProduct(s, b1)
            s = V(repeating: ap[4]); c40.addProduct(s, b0); c41.addProduct(s, b1)
            s = V(repeating: ap[5]); c50.addProduct(s, b0); c51.addProduct(s, b1)
            ap += tileRows
            bOffset &+= 128
        }
        @inline(__always) func store(_ v: V, _ r: Int, _ half: Int) {
            cr.storeBytes(of: v, toByteOffset: r &* rowBytes &+ half &* 64, as: V.self)
        }
        store(c00, 0, 0); store(c01, 0, 1)
        store(c10, 1, 0); store(c11, 1, 1)
        store(c20, 2, 0); store(c21, 2, 1)
        store(c30, 3, 0); store(c31, 3, 1)
        store(c40, 4, 0); store(c41, 4, 1)
        store(c50, 5, 0); store(c51, 5, 1)
    }

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
