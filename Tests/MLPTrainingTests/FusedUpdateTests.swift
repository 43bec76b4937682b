import MLPCore
import MLPRuntime
import Testing
@testable import MLPTraining

/// With one worker the optimizer step runs inside the ∇W kernel, strip by strip
/// (`BatchWorkspace.backward`'s `finished`); with more it is a separate pass over slices. Both
/// must give the same bytes for every optimizer, or the model would depend on the thread count.
@Suite struct FusedUpdateTests {
    static let optimizers: [OptimizerKind] = [
        .sgd(momentum: 0, nesterov: false),
        .sgd(momentum: 0.9, nesterov: true),
        .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8),
    ]

    @Test(arguments: optimizers)
    func oneWorkerUpdatesLikeTheSeparatePass(_ kind: OptimizerKind) {
        // 40 and 13 outputs: whole strips and an edge strip; batch 48, the last batch short.
        let network = Network(sizes: [70, 40, 13])
        let data = Benchmark.syntheticData(network: network, count: 100)
        let initial = FloatBuffer(count: network.parameterCount)
        InitializationScheme.xavier.initialize(initial, network: network, seed: 3)
        func train(threads: Int) -> [Float] {
            let placement = PlacementPlan(
                workers: (0..<threads).map { WorkerPlacement(index: $0, pu: nil, core: nil, package: nil, numaNode: nil) },
                warnings: [], policy: "none", smt: false, bindsThreads: false)
            let trainer = Trainer(network: network, parameters: initial.array,
                                  optimizer: Optimizer(kind: kind, weightDecay: 0.001, network: network),
                                  batchSize: 48, pool: WorkerPool(placement: placement))
            let order = Array(0..<data.count)
            for _ in 0..<3 {
                var start = 0
                while start < data.count {
                    _ = trainer.trainStep(data, indices: order[start..<min(start + 48, data.count)], learningRate: 0.05)
                    start += 48
                }
            }
            return trainer.parameters.array
        }
        let fused = train(threads: 1)
        #expect(fused != initial.array, "training changed nothing")
        for threads in [2, 3] {
            #expect(train(threads: threads).map(\.bitPattern) == fused.map(\.bitPattern), "\(threads) workers")
        }
    }
}
