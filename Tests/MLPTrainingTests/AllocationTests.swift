import CMallocCounter
import MLPCore
import MLPRuntime
import Testing
@testable import MLPTraining

#if DEBUG
private let optimized = false
#else
private let optimized = true
#endif

/// A steady-state training step allocates nothing: every buffer is made once. Only optimized
/// builds are checked (debug builds box and copy freely); `scripts/test` and CI build release.
@Suite(.serialized) struct AllocationTests {
    @Test(.enabled(if: optimized, "allocation counts are only meaningful in optimized builds"), arguments: [1, 2, 3], [true, false])
    func steadyStateStepsDoNotAllocate(threads: Int, shared: Bool) throws {
        // Layers of 80 and 70 units: with 2 and 3 workers sharing 32 rows, the forward and δ
        // products are split by units (`SharedBatch.splitsByUnits`), with their barriers.
        let network = Network(sizes: [64, 80, 70])
        let data = Benchmark.syntheticData(network: network, count: 100)
        let initial = FloatBuffer(count: network.parameterCount)
        InitializationScheme.xavier.initialize(initial, network: network, seed: 1)
        let placement = PlacementPlan(
            workers: (0..<threads).map { WorkerPlacement(index: $0, pu: nil, core: nil, package: nil, numaNode: nil) },
            warnings: [], policy: "none", smt: false, bindsThreads: false)
        let trainer = Trainer(network: network, parameters: initial.array,
                              optimizer: Optimizer(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), weightDecay: 0.01, network: network),
                              batchSize: 32, pool: WorkerPool(placement: placement), sharedBatch: shared)
        let order = Array(0..<data.count)
        // One epoch's batches, the last one short: every plan and buffer gets made here.
        func epoch() {
            var start = 0
            while start < data.count {
                _ = trainer.trainStep(data, indices: order[start..<min(start + 32, data.count)], learningRate: 0.01)
                start += 32
            }
        }
        epoch()
        // Count on this thread and the pool's workers only (other tests run meanwhile).
        trainer.pool.run { _ in mlpd_malloc_counter_arm(1) }
        mlpd_malloc_counter_reset()
        epoch()
        epoch()
        let allocations = mlpd_malloc_counter_value()
        trainer.pool.run { _ in mlpd_malloc_counter_arm(0) }
        #expect(allocations == 0, "\(allocations) allocations in 8 steady-state steps")
    }

    /// The counter itself works (a test that could not fail would prove nothing).
    @Test func counterSeesAnAllocation() {
        mlpd_malloc_counter_arm(1)
        mlpd_malloc_counter_reset()
        let buffer = FloatBuffer(count: 1000)
        let seen = mlpd_malloc_counter_value()
        mlpd_malloc_counter_arm(0)
        #expect(seen >= 1)
        _ = buffer
    }
}
