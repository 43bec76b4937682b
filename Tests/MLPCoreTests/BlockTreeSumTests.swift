import Testing
@testable import MLPCore

/// The block-tree kernels equal the recursive definition of the canonical tree to the bit.
@Suite struct BlockTreeSumTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        var m: Int, n: Int, k: Int, blockSize: Int, fanIn: Int
        var testDescription: String { "\(m)x\(n) k=\(k) block \(blockSize) fan-in \(fanIn)" }
    }

    static let shapes = [
        Shape(m: 10, n: 64, k: 32, blockSize: 16, fanIn: 2),
        Shape(m: 7, n: 45, k: 80, blockSize: 16, fanIn: 2),     // 5 blocks: a partial tree
        Shape(m: 13, n: 33, k: 37, blockSize: 4, fanIn: 3),     // short last block, fan-in 3
        Shape(m: 6, n: 32, k: 256, blockSize: 16, fanIn: 4),
        Shape(m: 3, n: 1100, k: 16, blockSize: 16, fanIn: 2),   // one block; several column blocks
        Shape(m: 200, n: 70, k: 300, blockSize: 16, fanIn: 2),  // 33 full strips (a group of 16 and a short one), an edge strip
    ]

    @Test(arguments: shapes)
    func weightGradientEqualsTheDefinition(_ s: Shape) {
        var random = SeededGenerator(seed: UInt64(s.m * 31 + s.k))
        // ∇W = Δᵀ A with Δ [k × m] and A [k × n], examples as rows.
        let delta = (0..<(s.k * s.m)).map { _ in Float(random.nextUnitDouble() * 2 - 1) }
        let a = (0..<(s.k * s.n)).map { _ in Float(random.nextUnitDouble() * 2 - 1) }
        var fast = [Float](repeating: .nan, count: s.m * s.n)
        let scratch = FloatBuffer(count: BlockTreeSum.scratchCount(k: s.k, m: s.m))
        delta.withUnsafeBufferPointer { d in
            a.withUnsafeBufferPointer { x in
                fast.withUnsafeMutableBufferPointer { c in
                    scratch.withUnsafeMutableBufferPointer { w in
                        BlockTreeSum.weightGradient(
                            c.baseAddress!, ldc: s.n, StridedMatrix(d.baseAddress!, rowStride: 1, columnStride: s.m),
                            StridedMatrix(x.baseAddress!, rowStride: s.n, columnStride: 1),
                            m: s.m, n: s.n, k: s.k, blockSize: s.blockSize, fanIn: s.fanIn, scratch: w.baseAddress!)
                    }
                }
            }
        }
        let blocks = (s.k + s.blockSize - 1) / s.blockSize
        let expected = BlockTreeSum.reference(blocks: blocks, blockSum: { b in
            var sum = [Float](repeating: 0, count: s.m * s.n)
            for i in 0..<s.m {
                for j in 0..<s.n {
                    var acc: Float = 0
                    for e in (b * s.blockSize)..<min((b + 1) * s.blockSize, s.k) {
                        acc = acc.addingProduct(delta[e * s.m + i], a[e * s.n + j])
                    }
                    sum[i * s.n + j] = acc
                }
            }
            return sum
        }, fanIn: s.fanIn)
        #expect(fast.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// The shared-batch form: strips packed in pieces of examples (one per worker), the
    /// gradient in units of 32 columns from the packed strips, with and without an SGD step in
    /// registers: the same bits as the whole node in one call.
    @Test(arguments: shapes)
    func packedPiecesAndColumnUnitsEqualOneCall(_ s: Shape) {
        var random = SeededGenerator(seed: UInt64(s.m * 7 + s.n))
        let delta = FloatBuffer((0..<(s.k * s.m)).map { _ in Float(random.nextUnitDouble() * 2 - 1) })
        let a = FloatBuffer((0..<(s.k * s.n)).map { _ in Float(random.nextUnitDouble() * 2 - 1) })
        let weights = (0..<(s.m * s.n)).map { _ in Float(random.nextUnitDouble() * 2 - 1) }
        let d = delta.withUnsafeBufferPointer { $0.baseAddress! }, x = a.withUnsafeBufferPointer { $0.baseAddress! }
        let dm = StridedMatrix(d, rowStride: 1, columnStride: s.m)
        let whole = FloatBuffer(count: s.m * s.n), pieces = FloatBuffer(count: s.m * s.n), updated = FloatBuffer(weights)
        let scratch = FloatBuffer(count: BlockTreeSum.scratchCount(k: s.k, m: s.m))
        let packed = FloatBuffer(count: BlockTreeSum.packedARows(s.m) * s.k)
        let unitScratch = FloatBuffer(count: BlockTreeSum.packedScratchCount(k: s.k))
        func pointer(_ buffer: FloatBuffer) -> UnsafeMutablePointer<Float> {
            buffer.withUnsafeMutableBufferPointer { $0.baseAddress! }
        }
        BlockTreeSum.weightGradient(pointer(whole), ldc: s.n, dm, StridedMatrix(x, rowStride: s.n, columnStride: 1),
                                    m: s.m, n: s.n, k: s.k, blockSize: s.blockSize, fanIn: s.fanIn, scratch: pointer(scratch))
        let cuts = [0, s.k / 3, s.k / 3, 2 * s.k / 3, s.k]
        for i in 0..<(cuts.count - 1) {
            BlockTreeSum.packStrips(pointer(packed), dm, rows: s.m, examples: cuts[i]..<cuts[i + 1], depth: s.k)
        }
        let step = SGDStep(rate: 0.5, scale: 0.25, decay: 0.01)
        let expected = zip(weights, whole.array).map { step.updated($0, gradientSum: $1) }
        // Both register-tile widths (SIMD16 for AVX-512, SIMD8 half-panel tiles for AVX2).
        func check<V: SIMD>(_: V.Type) where V.Scalar == Float {
            pointer(pieces).update(repeating: .nan, count: s.m * s.n)
            pointer(updated).update(from: weights, count: weights.count)
            var first = 0
            while first < s.n {
                let width = min(32, s.n - first)
                let b = StridedMatrix(x + first, rowStride: s.n, columnStride: 1)
                BlockTreeSum.weightGradient(packedStrips: pointer(packed), pointer(pieces) + first, ldc: s.n, b,
                                            m: s.m, n: width, k: s.k, blockSize: s.blockSize, fanIn: s.fanIn,
                                            columnBlock: 32, scratch: pointer(unitScratch), updating: nil, step: nil,
                                            vector: V.self, finished: { _, _ in })
                BlockTreeSum.weightGradient(packedStrips: pointer(packed), pointer(pieces) + first, ldc: s.n, b,
                                            m: s.m, n: width, k: s.k, blockSize: s.blockSize, fanIn: s.fanIn,
                                            columnBlock: 32, scratch: pointer(unitScratch),
                                            updating: pointer(updated) + first, step: step, vector: V.self,
                                            finished: { _, _ in })
                first += width
            }
            #expect(pieces.array.map(\.bitPattern) == whole.array.map(\.bitPattern), "\(V.self)")
            #expect(updated.array.map(\.bitPattern) == expected.map(\.bitPattern), "\(V.self)")
        }
        check(SIMD16<Float>.self)
        check(SIMD8<Float>.self)
    }

    @Test(arguments: shapes)
    func columnSumsEqualTheDefinition(_ s: Shape) {
        var random = SeededGenerator(seed: UInt64(s.n + s.k))
        let values = (0..<(s.k * s.n)).map { _ in Float(random.nextUnitDouble() * 2 - 1) }
        var fast = [Float](repeating: .nan, count: s.n)
        let scratch = FloatBuffer(count: BlockTreeSum.columnScratchCount(width: s.n))
        values.withUnsafeBufferPointer { v in
            fast.withUnsafeMutableBufferPointer { out in
                scratch.withUnsafeMutableBufferPointer { w in
                    BlockTreeSum.columnSums(out.baseAddress!, of: v.baseAddress!, rows: s.k, width: s.n,
                                            blockSize: s.blockSize, fanIn: s.fanIn, scratch: w.baseAddress!)
                }
            }
        }
        let blocks = (s.k + s.blockSize - 1) / s.blockSize
        let expected = BlockTreeSum.reference(blocks: blocks, blockSum: { b in
            var sum = [Float](repeating: 0, count: s.n)
            for e in (b * s.blockSize)..<min((b + 1) * s.blockSize, s.k) {
                for j in 0..<s.n { sum[j] += values[e * s.n + j] }
            }
            return sum
        }, fanIn: s.fanIn)
        #expect(fast.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}

@Suite struct BlockTreeScratchTests {
    /// Scratch sized for a workspace's capacity must hold every smaller node too (a node of the
    /// short last batch once overran it).
    @Test func scratchForCapacityCoversEverySmallerNode() {
        for capacity in 1...1100 {
            for m in [1, 6, 7, 1024] {
                let available = BlockTreeSum.scratchCount(k: capacity, m: m)
                for k in [1, 2, 14, 15, 16, 17, capacity / 2, capacity - 1, capacity] where k >= 1 && k <= capacity {
                    let needed = (m + 5) / 6 * 6 * k + k * BlockTreeSum.columnBlock(k: k)
                        + BlockTreeSum.maxStackDepth * (Gemm.tileRows * Gemm.tileColumns + 1)
                    #expect(needed <= available, "capacity \(capacity), m \(m), node of \(k)")
                }
            }
        }
    }
}
