import MLPCore
import MLPData

/// The state of one training run and its minibatch step: parameters, gradient slab, optimizer
/// state and a workspace, all made once. A step gathers the minibatch's rows, runs forward and
/// backward (gradient *sums*), then the optimizer applies the mean.
public final class Trainer {
    public let network: Network
    public let parameters: FloatBuffer
    public let optimizer: Optimizer
    public let batchSize: Int
    /// Steps taken so far, over all epochs.
    public private(set) var step = 0
    private let gradient: FloatBuffer
    private let workspace: BatchWorkspace
    /// Evaluates the current parameters (shares the parameter slab).
    public private(set) lazy var evaluator = Evaluator(network: network, parameters: parameters, batchSize: batchSize)

    public init(network: Network, parameters: [Float], optimizer: Optimizer, batchSize: Int) {
        precondition(parameters.count == network.parameterCount && batchSize >= 1)
        self.network = network
        self.parameters = FloatBuffer(parameters)
        self.optimizer = optimizer
        self.batchSize = batchSize
        gradient = FloatBuffer(count: network.parameterCount)
        workspace = BatchWorkspace(network: network, capacity: batchSize)
    }

    /// The example order of `epoch` (0-based): a permutation drawn from (seed, epoch) alone, so
    /// any epoch's order can be recomputed without replaying earlier ones (exact resume).
    public static func exampleOrder(count: Int, epoch: Int, seed: UInt64, shuffle: Bool) -> [Int] {
        guard shuffle else { return Array(0..<count) }
        var random = SeededGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
        return random.permutation(count: count)
    }

    public struct StepResult: Sendable {
        /// Summed cost of the batch's examples, before the update.
        public var cost: Double
        /// Examples whose arg-max output equals their label (0 for regression data).
        public var correct: Int
    }

    /// One SGD step on the examples `indices` of `data`.
    public func trainStep(_ data: Dataset, indices: ArraySlice<Int>, learningRate: Float) -> StepResult {
        let m = indices.count
        precondition(m >= 1 && m <= batchSize)
        workspace.load(data, indices: indices)
        gradient.zero()
        let cost = parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                workspace.forward(parameters: p.baseAddress!, count: m)
                return workspace.backward(parameters: p.baseAddress!, gradient: g.baseAddress!, count: m)
            }
        }
        let correct = workspace.countCorrect(data, indices: indices)
        optimizer.step(parameters: parameters, gradientSum: gradient, batchSize: m, learningRate: learningRate)
        step += 1
        return StepResult(cost: cost, correct: correct)
    }

    /// Continues from a checkpoint: parameters, optimizer state and step count.
    public func restore(from checkpoint: Checkpoint) throws {
        guard checkpoint.parameters.count == parameters.count,
              checkpoint.firstMoment.count == optimizer.firstMoment.count,
              checkpoint.secondMoment.count == optimizer.secondMoment.count else {
            throw TrainingError("the checkpoint's parameter or optimizer-state sizes do not match this network and optimizer")
        }
        parameters.copy(from: FloatBuffer(checkpoint.parameters))
        optimizer.firstMoment.copy(from: FloatBuffer(checkpoint.firstMoment))
        optimizer.secondMoment.copy(from: FloatBuffer(checkpoint.secondMoment))
        optimizer.stepCount = checkpoint.optimizerSteps
        step = checkpoint.globalStep
    }
}
