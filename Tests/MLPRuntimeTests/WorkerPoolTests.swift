import Foundation
import Testing
@testable import MLPRuntime

@Suite(.serialized) struct WorkerPoolTests {
    /// Each worker thread of a real pool reads back its CPU binding, which matches the plan.
    @Test func workersAreBoundAsPlanned() throws {
        let topology = try TopologyLoader.real()
        let plan = try PlacementPlan.make(topology: topology, settings: ParallelSettings(threads: .count(topology.allowedPUs.count)))
        let pool = WorkerPool(placement: plan)
        defer { pool.shutdown() }
        final class Box: @unchecked Sendable { var bindings: [[Int]?]; init(_ n: Int) { bindings = .init(repeating: nil, count: n) } }
        let box = Box(pool.size)
        let lock = NSLock()
        pool.run { w in
            let binding = try? ThreadBinding.currentThreadBinding()
            lock.withLock { box.bindings[w] = binding }
        }
        if pool.warnings.isEmpty {
            for (w, worker) in plan.workers.enumerated() {
                #expect(box.bindings[w] == [worker.pu!], "worker \(w)")
            }
        } else {
            // A restricted container refuses binding: reported once, never a crash.
            #expect(pool.warnings.count == 1)
        }
    }

    /// A pool dropped as soon as it is made, never run, shuts its threads down cleanly (a
    /// thread once read the pool while it was being destroyed, and the process crashed).
    @Test func poolsDroppedUnusedShutDown() {
        let plan = PlacementPlan(
            workers: (0..<4).map { WorkerPlacement(index: $0, pu: nil, core: nil, package: nil, numaNode: nil) },
            warnings: [], policy: "none", smt: false, bindsThreads: false)
        for _ in 0..<200 {
            _ = WorkerPool(placement: plan)
        }
        let pool = WorkerPool(placement: plan)
        final class Count: @unchecked Sendable { var value = 0 }
        let count = Count(), lock = NSLock()
        pool.run { _ in lock.withLock { count.value += 1 } }
        #expect(count.value == 4)
    }

    /// Every worker runs every task exactly once, and the barrier separates phases.
    @Test func runAndBarrier() {
        let plan = PlacementPlan(workers: (0..<4).map { WorkerPlacement(index: $0, pu: nil, core: nil, package: nil, numaNode: nil) },
                                 warnings: [], policy: "none", smt: false, bindsThreads: false)
        let pool = WorkerPool(placement: plan)
        defer { pool.shutdown() }
        final class Counts: @unchecked Sendable { var first = [Int](repeating: 0, count: 4); var sawAll = [Bool](repeating: true, count: 4) }
        let counts = Counts()
        let lock = NSLock()
        for _ in 0..<200 {
            pool.run { w in
                lock.withLock { counts.first[w] += 1 }
                pool.barrier.arriveAndWait()
                let total = lock.withLock { counts.first.reduce(0, +) }
                if total % 4 != 0 { lock.withLock { counts.sawAll[w] = false } }
                pool.barrier.arriveAndWait()
            }
        }
        #expect(counts.first == [200, 200, 200, 200])
        #expect(counts.sawAll.allSatisfy { $0 })
    }
}
