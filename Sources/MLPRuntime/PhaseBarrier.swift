import Foundation
import Synchronization

/// A reusable barrier for the workers of one step: spins first (the phases of a step are short
/// and balanced), then yields, then sleeps on a condition variable, so that idle workers
/// (between epochs, during evaluation, when oversubscribed) give their core away.
public final class PhaseBarrier: @unchecked Sendable {
    public let parties: Int
    private let arrived = Atomic<Int>(0)
    private let generation = Atomic<Int>(0)
    private let condition = NSCondition()
    private var sleepers = 0

    /// Busy-wait iterations before yielding, then yields before sleeping. 4096 loads of a
    /// shared line take a few µs here — longer than a balanced phase's skew.
    public static let spinIterations = 4096
    public static let yieldIterations = 256

    public init(parties: Int) {
        precondition(parties >= 1)
        self.parties = parties
    }

    /// Blocks until all `parties` threads have called it for this phase.
    public func arriveAndWait() {
        let phase = generation.load(ordering: .acquiring)
        if arrived.add(1, ordering: .acquiringAndReleasing).newValue == parties {
            arrived.store(0, ordering: .relaxed)
            release(next: phase &+ 1)
            return
        }
        wait(whilePhaseIs: phase)
    }

    /// The current phase number (for a coordinator that starts workers by bumping it).
    var phase: Int { generation.load(ordering: .acquiring) }

    /// Starts the next phase and wakes sleeping waiters.
    func release(next: Int) {
        generation.store(next, ordering: .releasing)
        condition.lock()
        if sleepers > 0 { condition.broadcast() }
        condition.unlock()
    }

    /// Waits until the phase number differs from `phase`.
    func wait(whilePhaseIs phase: Int) {
        for _ in 0..<Self.spinIterations where generation.load(ordering: .acquiring) != phase { return }
        for _ in 0..<Self.yieldIterations {
            if generation.load(ordering: .acquiring) != phase { return }
            sched_yield()
        }
        condition.lock()
        sleepers += 1
        while generation.load(ordering: .acquiring) == phase { condition.wait() }
        sleepers -= 1
        condition.unlock()
    }
}
