import MLPConfig
@testable import MLPCore
import MLPData
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
            Self.train(trainer, on: data, epochs: 3)
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

    /// `epochs` passes over `data` in order, in minibatches of the trainer's batch size (the
    /// last one short where the size does not divide the data).
    static func train(_ trainer: Trainer, on data: Dataset, epochs: Int) {
        let order = Array(0..<data.count)
        for _ in 0..<epochs {
            var start = 0
            while start < data.count {
                _ = trainer.trainStep(data, indices: order[start..<min(start + trainer.batchSize, data.count)], learningRate: 0.05)
                start += trainer.batchSize
            }
        }
    }

    static func placement(threads: Int) -> PlacementPlan {
        PlacementPlan(workers: (0..<threads).map { WorkerPlacement(index: $0, pu: nil, core: nil, package: nil, numaNode: nil) },
                      warnings: [], policy: "none", smt: false, bindsThreads: false)
    }

    /// The shared step splits its rows by the workers' measured speeds: whole blocks, in
    /// proportion, a slow worker floored at a quarter of the fastest, evenly until measured.
    @Test func sharedRowsFollowTheWorkersSpeeds() {
        let network = Network(sizes: [8, 4, 2])
        let trainer = Trainer(network: network, parameters: [Float](repeating: 0, count: network.parameterCount),
                              optimizer: Optimizer(kind: .sgd(momentum: 0, nesterov: false), weightDecay: 0, network: network),
                              batchSize: 64, pool: WorkerPool(placement: Self.placement(threads: 2)), blockSize: 16)
        #expect(trainer.rowSplit(exampleCount: 64, assumingSpeeds: [0, 0]) == [0..<32, 32..<64])
        #expect(trainer.rowSplit(exampleCount: 64, assumingSpeeds: [5, 0]) == [0..<32, 32..<64])
        #expect(trainer.rowSplit(exampleCount: 64, assumingSpeeds: [1, 3]) == [0..<16, 16..<64])
        #expect(trainer.rowSplit(exampleCount: 64, assumingSpeeds: [3, 1]) == [0..<48, 48..<64])
        // 1 against 100 counts as 25 against 100: 0.8 of a block, rounded to one.
        #expect(trainer.rowSplit(exampleCount: 64, assumingSpeeds: [1, 100]) == [0..<16, 16..<64])
        // A short batch: 50 rows are blocks of 16, 16, 16 and 2.
        #expect(trainer.rowSplit(exampleCount: 50, assumingSpeeds: [2, 2]) == [0..<32, 32..<50])
        #expect(trainer.rowSplit(exampleCount: 50, assumingSpeeds: [1, 3]) == [0..<16, 16..<50])
    }

    /// Whatever the split, the shared step gives the bytes of one worker.
    @Test func unevenSharedSplitsGiveTheSameBytes() {
        let network = Network(sizes: [70, 40, 13])
        let data = Benchmark.syntheticData(network: network, count: 100)
        let initial = FloatBuffer(count: network.parameterCount)
        InitializationScheme.xavier.initialize(initial, network: network, seed: 5)
        func train(speeds: [[Double]]) -> [Float] {
            let trainer = Trainer(network: network, parameters: initial.array,
                                  optimizer: Optimizer(kind: .sgd(momentum: 0.9, nesterov: false), weightDecay: 0, network: network),
                                  batchSize: 48, pool: WorkerPool(placement: Self.placement(threads: speeds[0].count)))
            var step = 0
            var start = 0
            while start < data.count {
                // Forces the split of this step; the step then measures its own, overwritten next time.
                _ = trainer.rowSplit(exampleCount: min(48, data.count - start), assumingSpeeds: speeds[step % speeds.count])
                _ = trainer.trainStep(data, indices: Array(0..<data.count)[start..<min(start + 48, data.count)], learningRate: 0.05)
                start += 48
                step += 1
            }
            return trainer.parameters.array
        }
        let reference = train(speeds: [[0]]).map(\.bitPattern)
        #expect(train(speeds: [[1, 8, 0.5], [9, 1, 1], [1, 1, 30]]).map(\.bitPattern) == reference)
        #expect(train(speeds: [[1, 1000], [1000, 1]]).map(\.bitPattern) == reference)
    }

    /// Networks whose layers are wide enough to be split by units: a sigmoid network whose
    /// output layer and top δ are split too (the barrier after the output δ); relu with a narrow
    /// identity output (split and row layers mixed); a softmax output, which stays by rows.
    static let unitSplitNetworks = [
        Network(sizes: [70, 100, 96]),
        Network(sizes: [70, 100, 90, 13], hiddenActivation: .relu, outputActivation: .identity),
        Network(sizes: [70, 130, 80], outputActivation: .softmax, loss: .crossEntropy),
    ]

    /// Split by units, over all rows, the shared step gives the bytes of one worker split by
    /// rows: at 1, 2 and 3 workers, momentum and plain SGD (the update in the ∇W kernel), and a
    /// short last batch that leaves some workers without rows.
    @Test(arguments: unitSplitNetworks)
    func unitSplitGivesTheSameBytes(_ network: Network) {
        let data = Benchmark.syntheticData(network: network, count: 100)
        let initial = FloatBuffer(count: network.parameterCount)
        InitializationScheme.xavier.initialize(initial, network: network, seed: 7)
        func train(threads: Int, byUnits: Bool, momentum: Float) -> [UInt32] {
            let trainer = Trainer(network: network, parameters: initial.array,
                                  optimizer: Optimizer(kind: .sgd(momentum: momentum, nesterov: false), weightDecay: 0, network: network),
                                  batchSize: 48, pool: WorkerPool(placement: Self.placement(threads: threads)), splitByUnits: byUnits)
            #expect(trainer.shared?.splitsByUnits == byUnits)
            Self.train(trainer, on: data, epochs: 2)
            return trainer.parameters.array.map(\.bitPattern)
        }
        for momentum: Float in [0, 0.9] {
            let reference = train(threads: 1, byUnits: false, momentum: momentum)
            #expect(reference != initial.array.map(\.bitPattern), "training changed nothing")
            for threads in [1, 2, 3] {
                #expect(train(threads: threads, byUnits: true, momentum: momentum) == reference,
                        "\(threads) workers split by units, momentum \(momentum)")
            }
        }
    }

    /// By default, with two or more workers, the products are split by units when the workers
    /// have fewer than 64 rows each or the product is at least 512 units wide, and only where
    /// it has two panels of units and enough depth.
    @Test func unitSplitIsChosenForFewRowsPerWorkerOrWideLayers() {
        let small = Network(sizes: [784, 256, 256, 10]), wide = Network(sizes: [784, 1024, 1024, 10])
        #expect(!SharedBatch(network: small, capacity: 128, workers: 2).splitsByUnits)
        #expect(SharedBatch(network: small, capacity: 64, workers: 2).splitsByUnits)
        #expect(SharedBatch(network: small, capacity: 128, workers: 16).splitsByUnits)
        #expect(!SharedBatch(network: small, capacity: 32, workers: 1).splitsByUnits)
        #expect(SharedBatch(network: wide, capacity: 256, workers: 2).splitsByUnits)
        #expect(!SharedBatch(network: wide, capacity: 256, workers: 1).splitsByUnits)
        #expect(!SharedBatch(network: wide, capacity: 256, workers: 2, splitByUnits: false).splitsByUnits)
        // Too narrow or too shallow everywhere: nothing to split.
        #expect(!SharedBatch(network: Network(sizes: [70, 40, 13]), capacity: 48, workers: 3).splitsByUnits)
        #expect(SharedBatch.productUnitWidth(width: 1024, depth: 784, workers: 2) == 128)
        #expect(SharedBatch.productUnitWidth(width: 1024, depth: 1024, workers: 16) == 32)
        #expect(SharedBatch.productUnitWidth(width: 4096, depth: 1024, workers: 2) == 256)
        #expect(SharedBatch.productUnitWidth(width: 10, depth: 1024, workers: 2) == 0)
        #expect(SharedBatch.productUnitWidth(width: 1024, depth: 10, workers: 2) == 0)
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
