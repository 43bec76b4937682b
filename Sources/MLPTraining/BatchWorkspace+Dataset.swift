import MLPCore
import MLPData

extension BatchWorkspace {
    /// Copies the rows `indices` of `data` into the inputs and targets (batch row
    /// `rowStart` + r ← example indices[r]).
    public func load(_ data: Dataset, indices: ArraySlice<Int>, rowStart: Int = 0) {
        precondition(rowStart >= 0 && rowStart + indices.count <= capacity)
        let inCount = network.inputCount, outCount = network.outputCount
        data.features.withUnsafeBufferPointer { x in
            inputs.withUnsafeMutableBufferPointer { a in
                for (row, example) in indices.enumerated() {
                    (a.baseAddress! + (rowStart + row) * inCount).update(from: x.baseAddress! + example * inCount, count: inCount)
                }
            }
        }
        data.targets.withUnsafeBufferPointer { y in
            targets.withUnsafeMutableBufferPointer { t in
                for (row, example) in indices.enumerated() {
                    (t.baseAddress! + (rowStart + row) * outCount).update(from: y.baseAddress! + example * outCount, count: outCount)
                }
            }
        }
    }

    /// How many of the examples `indices` (loaded from `rowStart` and run forward) have their
    /// arg-max output equal to their label; 0 for data without labels.
    public func countCorrect(_ data: Dataset, indices: ArraySlice<Int>, rowStart: Int = 0) -> Int {
        guard let labels = data.labels else { return 0 }
        let outCount = network.outputCount
        return outputs.withUnsafeBufferPointer { a in
            var correct = 0
            for (row, example) in indices.enumerated()
            where argmax(a.baseAddress! + (rowStart + row) * outCount, count: outCount) == Int(labels[example]) {
                correct += 1
            }
            return correct
        }
    }
}

/// Index of the largest of `count` values (the first on ties).
public func argmax(_ values: UnsafePointer<Float>, count: Int) -> Int {
    var best = 0
    for j in 1..<max(count, 1) where values[j] > values[best] { best = j }
    return best
}
