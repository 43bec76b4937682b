import Foundation
import Synchronization

/// Long-lived compute threads, started once per run and each bound to its PU of the placement
/// plan. The thread that creates the pool is worker 0 (bound too), so a step needs one wake-up
/// of T − 1 threads and one barrier, not a hand-off to a coordinator thread.
///
/// Plain `Thread`s, not Dispatch: Dispatch's worker threads belong to a shared pool and cannot
/// be pinned, and the step's own barrier (`PhaseBarrier`) already is the synchronisation a
/// queue would add on top.
public final class WorkerPool: @unchecked Sendable {
    public let placement: PlacementPlan
    /// A barrier among all workers, for the phases inside one `run`.
    public let barrier: PhaseBarrier
    /// Binding problems, reported once each (e.g. binding refused in a restricted container).
    public private(set) var warnings: [String] = []

    private let start: PhaseBarrier   // phase bumps start a task; workers only wait on it
    private let finished = Atomic<Int>(0)
    private var task: WorkerTask?
    private var stopping = false
    private var threads: [Thread] = []
    private let warningLock = NSLock()
    private let exited = DispatchGroup()
    /// The creating thread (worker 0) and the CPUs it could use before the pool bound it:
    /// restored at shutdown, so that a caller that outlives the pool (a test runner's thread,
    /// and every thread or process it starts later) is not left pinned to one CPU.
    private let creator = pthread_self()
    private var creatorBinding: [Int]?

    public var size: Int { placement.workers.count }

    public init(placement: PlacementPlan) {
        precondition(!placement.workers.isEmpty)
        self.placement = placement
        barrier = PhaseBarrier(parties: placement.workers.count)
        start = PhaseBarrier(parties: 1)
        if placement.bindsThreads { creatorBinding = try? ThreadBinding.currentThreadBinding() }
        bind(worker: 0)
        let ready = DispatchGroup()
        for index in 1..<placement.workers.count {
            ready.enter()
            exited.enter()
            // `self` is read (unowned) only while `init` waits on `ready`, so never while the
            // pool is being destroyed: a pool dropped right after `init` (no `run`) crashed
            // when a thread read it between `ready.leave()` and entering `loop`.
            let exited = self.exited
            let thread = Thread { [unowned self] in
                self.loop(worker: index, ready: ready)
                exited.leave()
            }
            thread.name = "mlpd-worker-\(index)"
            thread.stackSize = 4 << 20
            threads.append(thread)
            thread.start()
        }
        ready.wait()
    }

    deinit { shutdown() }

    /// Runs `task.work(worker)` on every worker, the calling thread as worker 0, and returns when
    /// all are done. Not reentrant; call from the thread that created the pool. Passing a class
    /// instance (not a closure, whose context would be copied to the heap) keeps a step free of
    /// allocations.
    public func run(_ task: WorkerTask) {
        self.task = task
        finished.store(0, ordering: .relaxed)
        start.release(next: start.phase &+ 1)
        task.work(worker: 0)
        let others = size - 1
        var spins = 0
        while finished.load(ordering: .acquiring) < others {
            spins += 1
            if spins > PhaseBarrier.spinIterations { sched_yield() }
        }
        self.task = nil
    }

    /// `run` with a closure, for code outside the training step (it allocates the closure's
    /// context once per call).
    public func run(_ body: @escaping (Int) -> Void) {
        run(ClosureTask(body))
    }

    /// Stops and joins the worker threads (idempotent).
    public func shutdown() {
        guard !stopping else { return }
        stopping = true
        start.release(next: start.phase &+ 1)
        exited.wait()
        if let creatorBinding, pthread_equal(creator, pthread_self()) != 0 {
            try? ThreadBinding.bindCurrentThread(toPUs: creatorBinding)
        }
    }

    /// A worker thread's life: bind, say so on `ready`, then run tasks until `shutdown`.
    private func loop(worker: Int, ready: DispatchGroup) {
        bind(worker: worker)
        ready.leave()
        // The start phase is 0 until the first `run`, which may begin before this thread gets
        // here: reading the current phase instead would lose that wake-up.
        var phase = 0
        while true {
            start.wait(whilePhaseIs: phase)
            phase = start.phase
            if stopping { return }
            task?.work(worker: worker)
            finished.add(1, ordering: .releasing)
        }
    }

    private func bind(worker: Int) {
        guard placement.bindsThreads, let pu = placement.workers[worker].pu else { return }
        do {
            try ThreadBinding.bindCurrentThread(toPU: pu)
        } catch {
            warningLock.withLock {
                if warnings.isEmpty { warnings.append("cannot bind worker threads, running unbound: \(error)") }
            }
        }
    }
}

/// Work for every worker of a `WorkerPool`.
public protocol WorkerTask: AnyObject {
    /// Called once on each worker thread, with its index (0 is the thread that called `run`).
    func work(worker: Int)
}

private final class ClosureTask: WorkerTask {
    let body: (Int) -> Void
    init(_ body: @escaping (Int) -> Void) { self.body = body }
    func work(worker: Int) { body(worker) }
}
