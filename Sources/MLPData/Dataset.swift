/// Examples in memory, ready for training: features and targets as row-major `Float` rows.
///
/// Size letters: `N` examples (`count`), `I` features per example (`inputCount`), `O` targets
/// per example (`outputCount`).
public struct Dataset: Sendable {
    /// `N`, the number of examples.
    public let count: Int
    /// `I`, the features per example: the model's first layer width.
    public let inputCount: Int
    /// `O`, the targets per example: the model's output layer width.
    public let outputCount: Int
    /// N × I, row-major: one example per row, raw values (scaling is `FeatureScaling`'s job).
    public var features: [Float]
    /// N × O, row-major: one-hot rows for classification data, the file's values for
    /// regression data.
    public var targets: [Float]
    /// N class indices for classification data (each in `0 ..< O`, matching the one-hot
    /// row); nil for regression data.
    public var labels: [Int32]?
    /// Where the data came from (the file path), for messages.
    public var name: String

    /// A data set from its parts. The array sizes must agree with the counts (a programmer
    /// error otherwise).
    public init(
        features: [Float], targets: [Float], labels: [Int32]?, inputCount: Int, outputCount: Int,
        name: String
    ) {
        precondition(inputCount > 0 && outputCount > 0, "a data set needs features and targets")
        precondition(features.count % inputCount == 0, "features are not whole rows")
        let count = features.count / inputCount
        precondition(targets.count == count * outputCount, "targets do not match the feature rows")
        precondition(labels == nil || labels!.count == count, "one label per example")
        self.count = count
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.features = features
        self.targets = targets
        self.labels = labels
        self.name = name
    }

    /// The examples at `indices`, in that order (an index may repeat). The name is kept.
    public func subset(_ indices: [Int]) -> Dataset {
        let (n, i, o) = (indices.count, inputCount, outputCount)
        var features = [Float](repeating: 0, count: n * i)
        var targets = [Float](repeating: 0, count: n * o)
        self.features.withUnsafeBufferPointer { sourceX in
            self.targets.withUnsafeBufferPointer { sourceY in
                features.withUnsafeMutableBufferPointer { x in
                    targets.withUnsafeMutableBufferPointer { y in
                        for (row, example) in indices.enumerated() {
                            precondition(example >= 0 && example < count, "example index out of range")
                            (x.baseAddress! + row * i).update(from: sourceX.baseAddress! + example * i, count: i)
                            (y.baseAddress! + row * o).update(from: sourceY.baseAddress! + example * o, count: o)
                        }
                    }
                }
            }
        }
        let labels = self.labels.map { all in indices.map { all[$0] } }
        return Dataset(
            features: features, targets: targets, labels: labels, inputCount: i, outputCount: o,
            name: name)
    }
}
