import MLPCore
import MLPData

/// Runs a network forward over whole data sets, a batch at a time: mean cost, accuracy and the
/// raw outputs for `mlpd eval` and `predict` and the per-epoch test evaluation.
public final class Evaluator {
    public let network: Network
    /// Read, never written.
    public let parameters: FloatBuffer
    private let workspace: BatchWorkspace

    public init(network: Network, parameters: FloatBuffer, batchSize: Int = 256) {
        self.network = network
        self.parameters = parameters
        workspace = BatchWorkspace(network: network, capacity: batchSize)
    }

    public struct Result: Sendable, Equatable {
        /// Mean cost J over the examples.
        public var cost: Double
        /// Fraction classified correctly; nil for data without labels.
        public var accuracy: Double?
    }

    public func evaluate(_ data: Dataset) -> Result {
        var cost = 0.0, correct = 0
        forEachBatch(data) { indices in
            cost += workspace.cost(rowStart: 0, count: indices.count)
            correct += workspace.countCorrect(data, indices: indices)
        }
        let n = Double(max(data.count, 1))
        return Result(cost: cost / n, accuracy: data.labels == nil ? nil : Double(correct) / n)
    }

    /// h(x) of every example: [count × s_nl] row-major.
    public func outputs(_ data: Dataset) -> [Float] {
        var result: [Float] = []
        result.reserveCapacity(data.count * network.outputCount)
        forEachBatch(data) { indices in
            workspace.outputs.withUnsafeBufferPointer { a in
                result.append(contentsOf: a[0..<(indices.count * network.outputCount)])
            }
        }
        return result
    }

    private func forEachBatch(_ data: Dataset, _ body: (ArraySlice<Int>) -> Void) {
        var start = 0
        while start < data.count {
            let indices = Array(start..<min(start + workspace.capacity, data.count))[...]
            workspace.load(data, indices: indices)
            parameters.withUnsafeBufferPointer { workspace.forward(parameters: $0.baseAddress!, count: indices.count) }
            body(indices)
            start += workspace.capacity
        }
    }
}
