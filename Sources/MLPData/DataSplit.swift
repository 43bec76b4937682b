import MLPCore

/// Seeded train/test splits.
public enum DataSplit {
    /// Splits `data` into a training and a test set.
    ///
    /// A seeded permutation (`SeededGenerator(seed:).permutation(count:)`) orders the
    /// examples; the first `Int((Double(count) * testFraction).rounded())` of it are the test
    /// set and the rest the training set, each in permutation order. The same data and seed
    /// give the same split on every machine and toolchain. `testFraction` must lie in
    /// 0...1 (a programmer error otherwise; configurations validate it first).
    public static func split(_ data: Dataset, testFraction: Double, seed: UInt64) -> (train: Dataset, test: Dataset) {
        precondition(testFraction >= 0 && testFraction <= 1, "testFraction must lie in 0...1")
        var generator = SeededGenerator(seed: seed)
        let order = generator.permutation(count: data.count)
        let testCount = Int((Double(data.count) * testFraction).rounded())
        return (train: data.subset(Array(order[testCount...])), test: data.subset(Array(order[..<testCount])))
    }
}
