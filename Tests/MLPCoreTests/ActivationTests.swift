import Foundation
@testable import MLPCore
import Testing

@Suite struct ActivationTests {
    /// Distance in units in the last place between two finite floats of the same sign.
    static func ulps(_ a: Float, _ b: Float) -> Int {
        if a == b { return 0 }
        return abs(Int(Int32(bitPattern: a.bitPattern)) - Int(Int32(bitPattern: b.bitPattern)))
    }

    @Test func exp16IsWithinTwoUlpOfExpfOverTheWholeRange() {
        var worst = 0, worstAt: Float = 0
        var x: Float = -87
        while x < 88 {
            let lanes = SIMD16<Float>((0..<16).map { x + Float($0) * 0.000_37 })
            let e = Activation.exp16(lanes)
            for i in 0..<16 {
                let d = Self.ulps(e[i], expf(lanes[i]))
                if d > worst { (worst, worstAt) = (d, lanes[i]) }
            }
            x += 0.0123
        }
        #expect(worst <= 2, "worst \(worst) ulp at \(worstAt)")
        let edges = Activation.exp16(SIMD16<Float>([0, 1, -1, 1e-8, -1e-8, 88.3, -87.3, 200, -200, .infinity,
                                                     -.infinity, .nan, 0.5, -0.5, 10, -10]))
        #expect(edges[0] == 1 && Self.ulps(edges[1], expf(1)) <= 1 && Self.ulps(edges[2], expf(-1)) <= 1)
        #expect(edges[7].isFinite && edges[7] > 1e38, "large inputs clamp to a finite value")
        #expect(edges[8] >= 0 && edges[8] < 1e-37 && edges[10] < 1e-37)
        #expect(edges[11].isNaN)
    }

    @Test func vectorSigmoidMatchesTheScalarValueAndIgnoresItsPositionInTheRow() {
        // Width 37: two full vectors and a padded tail of 5.
        let rows = 3, width = 37
        var random = SeededGenerator(seed: 7)
        let z = (0..<(rows * width)).map { _ in Float(random.nextUnitDouble() * 40 - 20) }
        let bias = (0..<width).map { _ in Float(random.nextUnitDouble() - 0.5) }
        var out = z
        out.withUnsafeMutableBufferPointer { o in
            bias.withUnsafeBufferPointer { Activation.sigmoidAddingBias(o.baseAddress!, bias: $0.baseAddress!, rows: rows, width: width) }
        }
        for r in 0..<rows {
            for j in 0..<width {
                let expected = Activation.sigmoid.value(z[r * width + j] + bias[j])
                #expect(Self.ulps(out[r * width + j], expected) <= 3, "row \(r) unit \(j)")
            }
        }
        // The same unit computed alone (a width-1 row: all tail) gives the same bits.
        for j in [0, 16, 33, 36] {
            var one = [z[width + j]]
            var b = [bias[j]]
            one.withUnsafeMutableBufferPointer { o in
                b.withUnsafeMutableBufferPointer { Activation.sigmoidAddingBias(o.baseAddress!, bias: $0.baseAddress!, rows: 1, width: 1) }
            }
            #expect(one[0].bitPattern == out[width + j].bitPattern, "unit \(j)")
        }
    }
}
