/// A small, fast, seedable random generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random choice in mlpd — initial weights, data splits, the example order of each
/// epoch — draws from one of these, so a run is reproducible bit for bit from its seeds. The
/// whole state is four words: checkpoints store it with `state` and restore it with
/// `init(state:)`.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The generator's complete state.
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose stream is fully determined by `seed`.
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// Resumes a stream from a state taken earlier with `state`.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** state must not be all zero")
        self.state = state
    }

    public static func == (lhs: SeededGenerator, rhs: SeededGenerator) -> Bool {
        lhs.state == rhs.state
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    /// A uniform integer in `0 ..< bound`, by Lemire's method. Unlike the standard library's
    /// `Int.random(in:using:)`, whose algorithm may change between Swift releases, this one is
    /// fixed, so shuffles stay reproducible across toolchains.
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Shuffles `values` in place (Fisher–Yates) with this generator's fixed algorithm.
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = nextIndex(below: i + 1)
            if i != j { values.swapAt(i, j) }
        }
    }

    /// `[0, 1, …, count − 1]` in a random order.
    public mutating func permutation(count: Int) -> [Int] {
        var order = Array(0..<count)
        shuffle(&order)
        return order
    }
}

@inline(__always)
private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
