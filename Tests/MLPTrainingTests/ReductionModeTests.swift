import MLPConfig
import MLPCore
import MLPRuntime
import Testing
@testable import MLPTraining

/// With `shared` the optimizer step runs inside the ∇W kernel (plain SGD on each register tile,
/// momentum and Adam strip by strip), units of columns handed out to the workers as they come;
/// with `tree` the workers' nodes are reduced and updated in a separate pass over slices. Every
/// combination must give the same bytes for every optimizer, or the model would depend on the
/// thread count or the reduction.
@Suite struct ReductionModeTests {
    static let optimizers: [MLPCore.OptimizerKind] = [
        .sgd(momentum: 0, nesterov: false),
        .sgd(momentum: 0.9, nesterov: true),
        .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8),
    ]

    @Test(arguments: optimizers)
    func sharedAndTreeGiveTheSameBytesAtEveryWorkerCount(_ kind: MLPCore.OptimizerKind) {
        // 40 and 13 outputs: whole strips and an edge strip; batch 48, the last batch short.
        let network = Network(sizes: [70, 40, 13])
        let data = Benchmark.syntheticData(network: network, count: 100)
        let initial = FloatBuffer(count: network.parameterCount)
        InitializationScheme.xavier.initialize(initial, network: network, seed: 3)
        func train(threads: Int, shared: Bool) -> [Float] {
            let placement = PlacementPlan(
                workers: (0..<threads).map { WorkerPlacement(index: $0, pu: nil, core: nil, package: nil, numaNode: nil) },
                warnings: [], policy: "none", smt: false, bindsThreads: false)
            let trainer = Trainer(network: network, parameters: initial.array,
                                  optimizer: Optimizer(kind: kind, weightDecay: 0.001, network: network),
                                  batchSize: 48, pool: WorkerPool(placement: placement), sharedBatch: shared)
            #expect((trainer.shared != nil) == shared)
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
        let reference = train(threads: 1, shared: true)
        #expect(reference != initial.array, "training changed nothing")
        for threads in [1, 2, 3] {
            for shared in [true, false] where threads > 1 || !shared {
                #expect(train(threads: threads, shared: shared).map(\.bitPattern) == reference.map(\.bitPattern),
                        "\(threads) workers, \(shared ? "shared" : "tree")")
            }
        }
    }

    @Test func autoSharesOnlyInsideOneNUMANodeAndOneProcess() {
        func plan(_ nodes: [Int?]) -> PlacementPlan {
            PlacementPlan(workers: nodes.enumerated().map { WorkerPlacement(index: $0, pu: $0, core: $0, package: 0, numaNode: $1) },
                          warnings: [], policy: "numa", smt: false, bindsThreads: false)
        }
        #expect(ParallelConfig.Reduction.auto.sharesBatch(placement: plan([0, 0, 0]), inGroup: false))
        #expect(ParallelConfig.Reduction.auto.sharesBatch(placement: plan([nil, nil]), inGroup: false))
        #expect(!ParallelConfig.Reduction.auto.sharesBatch(placement: plan([0, 1]), inGroup: false))
        #expect(ParallelConfig.Reduction.shared.sharesBatch(placement: plan([0, 1]), inGroup: false))
        #expect(!ParallelConfig.Reduction.tree.sharesBatch(placement: plan([0, 0]), inGroup: false))
        #expect(!ParallelConfig.Reduction.shared.sharesBatch(placement: plan([0, 0]), inGroup: true))
    }
}
