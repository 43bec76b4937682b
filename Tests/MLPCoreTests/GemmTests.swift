import Testing
@testable import MLPCore

/// The packed SIMD product must equal the scalar reference to the bit: both are one FMA chain
/// per element over k in order.
@Suite struct GemmTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        var m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool
        var testDescription: String { "\(m)x\(n)x\(k) tA=\(transposeA) tB=\(transposeB) acc=\(accumulate)" }
    }

    static let shapes: [Shape] = [
        Shape(m: 1, n: 1, k: 1, transposeA: false, transposeB: false, accumulate: false),
        Shape(m: 6, n: 32, k: 7, transposeA: false, transposeB: false, accumulate: false),
        Shape(m: 7, n: 33, k: 300, transposeA: false, transposeB: true, accumulate: false),
        Shape(m: 13, n: 70, k: 513, transposeA: true, transposeB: false, accumulate: true),
        Shape(m: 5, n: 1030, k: 9, transposeA: true, transposeB: true, accumulate: true),
        Shape(m: 64, n: 10, k: 64, transposeA: false, transposeB: true, accumulate: false),
        // Transposed B with two full panels, several depth blocks and a depth tail (the
        // in-register transpose of packB and its scalar tail).
        Shape(m: 9, n: 64, k: 530, transposeA: false, transposeB: true, accumulate: true),
        // Row-major A read in place (≤ directPanelLimit panels, above) and packed (more panels).
        Shape(m: 13, n: 300, k: 40, transposeA: false, transposeB: false, accumulate: true),
        Shape(m: 3, n: 4, k: 0, transposeA: false, transposeB: false, accumulate: false),
        // Pairs of 6-row tiles (`TilePair`): 12 rows read in place; packed, with a 6-row tile,
        // a row edge, a column edge (a pair's halves through `edgeTile`) and a depth tail.
        Shape(m: 12, n: 32, k: 20, transposeA: false, transposeB: false, accumulate: true),
        Shape(m: 31, n: 290, k: 300, transposeA: false, transposeB: true, accumulate: false),
        Shape(m: 26, n: 300, k: 260, transposeA: true, transposeB: false, accumulate: true),
        // Row edges of 1–5 rows on full panels (`rowEdgeTile`): 4 rows after a pair here; 1, 2,
        // 3 and 5 in the shapes above (7, 26, 9, 5 rows).
        Shape(m: 16, n: 64, k: 33, transposeA: false, transposeB: false, accumulate: true),
        // Row-major B copied row by row in a second column block (columns from 1024 on: two
        // full panels and a partial one) and over a depth tail.
        Shape(m: 7, n: 1100, k: 270, transposeA: false, transposeB: false, accumulate: false),
    ]

    @Test(arguments: shapes)
    func packedKernelEqualsReferenceBitForBit(_ s: Shape) {
        var random = SeededGenerator(seed: UInt64(s.m * 1000 + s.n * 10 + s.k))
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(random.nextUnitDouble() * 2 - 1) } }
        let a = values(max(s.m * s.k, 1)), b = values(max(s.k * s.n, 1)), c0 = values(s.m * s.n)
        // The compiled width's kernel, then both register-tile widths (SIMD16 tile pairs for
        // AVX-512, SIMD8 half-panel tiles for AVX2) explicitly, so each runs on any machine.
        var fast = c0, wide = c0, narrow = c0, reference = c0
        let scratch = FloatBuffer(count: Gemm.scratchCount)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let am = s.transposeA ? StridedMatrix(pa.baseAddress!, rowStride: 1, columnStride: s.m)
                                      : StridedMatrix(pa.baseAddress!, rowStride: s.k, columnStride: 1)
                let bm = s.transposeB ? StridedMatrix(pb.baseAddress!, rowStride: 1, columnStride: s.k)
                                      : StridedMatrix(pb.baseAddress!, rowStride: s.n, columnStride: 1)
                let w = scratch.withUnsafeMutableBufferPointer { $0.baseAddress! }
                fast.withUnsafeMutableBufferPointer { c in
                    Gemm.multiply(c.baseAddress!, ldc: s.n, am, bm, m: s.m, n: s.n, k: s.k, accumulate: s.accumulate, scratch: w)
                }
                wide.withUnsafeMutableBufferPointer { c in
                    Gemm.multiply(c.baseAddress!, ldc: s.n, am, bm, m: s.m, n: s.n, k: s.k, accumulate: s.accumulate,
                                  scratch: w, vector: SIMD16<Float>.self)
                }
                narrow.withUnsafeMutableBufferPointer { c in
                    Gemm.multiply(c.baseAddress!, ldc: s.n, am, bm, m: s.m, n: s.n, k: s.k, accumulate: s.accumulate,
                                  scratch: w, vector: SIMD8<Float>.self)
                }
                reference.withUnsafeMutableBufferPointer { c in
                    Gemm.referenceMultiply(c.baseAddress!, ldc: s.n, am, bm, m: s.m, n: s.n, k: s.k, accumulate: s.accumulate)
                }
            }
        }
        for result in [fast, wide, narrow] {
            #expect(result.map(\.bitPattern) == reference.map(\.bitPattern))
        }
        if s.k == 0 && !s.accumulate { #expect(fast.allSatisfy { $0 == 0 }) }
    }
}
