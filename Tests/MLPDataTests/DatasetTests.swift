import MLPCore
import MLPData
import Testing

/// A small classification set: example k has features [k, 10k, 100k] and label k mod 3.
func sampleDataset(count: Int = 10) -> Dataset {
    let features = (0..<count).flatMap { k in [Float(k), Float(10 * k), Float(100 * k)] }
    let labels = (0..<count).map { Int32($0 % 3) }
    let targets = labels.flatMap { label in (0..<3).map { $0 == Int(label) ? Float(1) : 0 } }
    return Dataset(features: features, targets: targets, labels: labels, inputCount: 3, outputCount: 3, name: "sample")
}

@Suite struct DatasetTests {
    @Test func subsetGathersRowsInOrder() {
        let data = sampleDataset()
        let part = data.subset([7, 2, 2])
        #expect(part.count == 3)
        #expect(part.inputCount == 3 && part.outputCount == 3)
        #expect(part.features == [7, 70, 700, 2, 20, 200, 2, 20, 200])
        #expect(part.targets == [0, 1, 0, 0, 0, 1, 0, 0, 1])
        #expect(part.labels == [1, 2, 2])
        #expect(part.name == "sample")
        #expect(data.subset([]).count == 0)
    }

    @Test func subsetOfRegressionDataHasNoLabels() {
        let data = Dataset(features: [1, 2, 3], targets: [0.5, 1.5, 2.5], labels: nil, inputCount: 1, outputCount: 1, name: "r")
        let part = data.subset([2, 0])
        #expect(part.features == [3, 1])
        #expect(part.targets == [2.5, 0.5])
        #expect(part.labels == nil)
    }
}

@Suite struct DataSplitTests {
    @Test func splitIsDeterministicDisjointAndComplete() {
        let data = sampleDataset(count: 101)
        let (train, test) = DataSplit.split(data, testFraction: 0.2, seed: 42)
        #expect(test.count == 20)  // 101 × 0.2 = 20.2 → 20
        #expect(train.count == 81)
        let trainIDs = train.features.enumerated().filter { $0.offset % 3 == 0 }.map { Int($0.element) }
        let testIDs = test.features.enumerated().filter { $0.offset % 3 == 0 }.map { Int($0.element) }
        #expect(Set(trainIDs).isDisjoint(with: testIDs))
        #expect(Set(trainIDs + testIDs) == Set(0..<101))
        // Rows stay whole: targets and labels travel with their features.
        for (row, id) in testIDs.enumerated() {
            #expect(test.labels![row] == Int32(id % 3))
            #expect(test.targets[row * 3 + id % 3] == 1)
        }
        let again = DataSplit.split(data, testFraction: 0.2, seed: 42)
        #expect(again.train.features == train.features && again.test.features == test.features)
        let other = DataSplit.split(data, testFraction: 0.2, seed: 43)
        #expect(other.test.features != test.features)
    }

    @Test func splitFollowsTheSeededPermutation() {
        let data = sampleDataset(count: 10)
        var generator = SeededGenerator(seed: 7)
        let order = generator.permutation(count: 10)
        let (train, test) = DataSplit.split(data, testFraction: 0.25, seed: 7)  // 2.5 → 3 (rounded)
        #expect(test.features.enumerated().filter { $0.offset % 3 == 0 }.map { Int($0.element) } == Array(order[..<3]))
        #expect(train.features.enumerated().filter { $0.offset % 3 == 0 }.map { Int($0.element) } == Array(order[3...]))
    }

    @Test func extremeFractions() {
        let data = sampleDataset(count: 5)
        #expect(DataSplit.split(data, testFraction: 0, seed: 1).test.count == 0)
        #expect(DataSplit.split(data, testFraction: 0, seed: 1).train.count == 5)
        #expect(DataSplit.split(data, testFraction: 1, seed: 1).train.count == 0)
    }
}

@Suite struct FeatureScalingTests {
    @Test func standardizationStatistics() {
        // Feature 0: 1, 2, 3, 4 → mean 2.5, population std √1.25. Feature 1: constant 7.
        let data = Dataset(features: [1, 7, 2, 7, 3, 7, 4, 7], targets: [0, 0, 0, 0], labels: nil, inputCount: 2, outputCount: 1, name: "s")
        let scaling = FeatureScaling.fitStandardization(to: data)
        guard case .standardize(let mean, let std) = scaling else {
            Issue.record("expected a standardization, got \(scaling)")
            return
        }
        #expect(mean == [2.5, 7])
        #expect(abs(std[0] - Float(1.25.squareRoot())) < 1e-6)
        #expect(std[1] == 0)
        var scaled = data
        scaling.apply(to: &scaled)
        let s = Float(1.25.squareRoot())
        let expected: [Float] = [-1.5 / s, 0, -0.5 / s, 0, 0.5 / s, 0, 1.5 / s, 0]
        for (got, want) in zip(scaled.features, expected) { #expect(abs(got - want) < 1e-6) }
        // The scaled feature has mean 0 and std 1.
        let column = stride(from: 0, to: 8, by: 2).map { Double(scaled.features[$0]) }
        #expect(abs(column.reduce(0, +)) < 1e-6)
        #expect(abs(column.map { $0 * $0 }.reduce(0, +) / 4 - 1) < 1e-6)
    }

    @Test func standardizationIsAccurateForLargeOffsets() {
        // Values near 1e4 with spread 1: a one-pass Σx² formula in Float would lose the spread.
        let values: [Float] = (0..<1000).map { 10_000 + Float($0 % 3) - 1 }
        let data = Dataset(features: values, targets: [Float](repeating: 0, count: 1000), labels: nil, inputCount: 1, outputCount: 1, name: "s")
        guard case .standardize(let mean, let std) = FeatureScaling.fitStandardization(to: data) else {
            Issue.record("expected a standardization")
            return
        }
        let exactMean = values.map(Double.init).reduce(0, +) / 1000
        let exactVariance = values.map { (Double($0) - exactMean) * (Double($0) - exactMean) }.reduce(0, +) / 1000
        #expect(abs(Double(mean[0]) - exactMean) < 1e-3)
        #expect(abs(Double(std[0]) - exactVariance.squareRoot()) < 1e-6)
    }

    @Test func givenStatisticsAreAppliedAsIs() {
        var data = sampleDataset(count: 2)  // rows [0, 0, 0], [1, 10, 100]
        FeatureScaling.standardize(mean: [1, 0, 50], std: [2, 0, 25]).apply(to: &data)
        #expect(data.features == [-0.5, 0, -2, 0, 10, 2])
    }

    @Test func constantAndNone() {
        var data = sampleDataset(count: 2)
        FeatureScaling.none.apply(to: &data)
        #expect(data.features == [0, 0, 0, 1, 10, 100])
        FeatureScaling.constant(0.5).apply(to: &data)
        #expect(data.features == [0, 0, 0, 0.5, 5, 50])
    }
}
