import Foundation
import Logging
import MLPConfig
import MLPTraining

/// The daemon's core: the job queue, its durable store and the training worker, behind the
/// operations the HTTP API offers. No sockets here: `DaemonServer` puts it on the network and
/// tests can drive it directly.
///
/// All mutable state is guarded by one condition lock, on which the training worker also waits
/// for work. Every state change is written to the job's `job.json` (atomically, fsynced) before
/// the operation returns, so an acknowledged change survives any crash.
public final class Daemon: @unchecked Sendable {
    /// The durable job folders.
    public let store: JobStore
    /// Where READY, STATUS, WATCHDOG and STOPPING go.
    public let notifier: SystemdNotifier
    /// The Prometheus metrics.
    public let metrics: DaemonMetrics
    let logger: Logger

    // Guarded by `lock`.
    let lock = NSCondition()
    var queue: JobQueue
    var config: DaemonConfig
    var roots: DataRoots
    var ids: JobIDGenerator
    /// Submissions between their capacity check and their insertion.
    var reserved = 0
    /// The running job's control, to stop it.
    var control: RunControl?
    var cancelRequested: Set<String> = []
    var stopping = false
    var workerStarted = false
    var workerExited = false
    var exitWaiters: [CheckedContinuation<Void, Never>] = []

    /// Opens the state directory, recovers the recorded jobs and logs what it found; the worker
    /// starts with `startWorker()`.
    public init(config: DaemonConfig, notifier: SystemdNotifier, metrics: DaemonMetrics = DaemonMetrics(), logger: Logger) throws {
        self.config = config
        self.notifier = notifier
        self.metrics = metrics
        self.logger = logger
        store = try JobStore(stateDirectory: config.stateDirectory)
        let (records, problems) = store.loadAll()
        for problem in problems { logger.warning("\(problem)") }
        ids = JobIDGenerator(continuingAfter: store.allNames())
        queue = JobQueue(records: records, limit: config.queueLimit)
        roots = DataRoots(config.allowedDataRoots)
        for root in roots.unusable { logger.warning("allowed data root unusable: \(root)") }
        let resuming = records.filter { $0.state == .running }.map(\.id)
        let summary = "state directory \(config.stateDirectory): \(records.count) jobs, \(queue.waitingCount) waiting"
            + (resuming.isEmpty ? "" : ", resuming \(resuming.joined(separator: ", "))")
        logger.info("\(summary)")
        metrics.recordQueue(queue)
    }

    // MARK: - Operations of the API

    /// Validates and durably records a new job, queued. Returns its record once `job.json` is
    /// on disk.
    ///
    /// - Throws: `ConfigError` for a bad job file (the text `mlpd train` would print),
    ///   `DaemonError` for paths outside the roots, a full queue, a stopping daemon or I/O.
    public func submit(yaml: String, file: String, name: String?, priority: Int, workingDirectory: String?) throws -> JobRecord {
        let (id, roots) = try lock.guarded {
            guard !stopping else { throw DaemonError(.unavailable, "the daemon is stopping") }
            try queue.checkCapacity(reserving: reserved)
            reserved += 1
            return (ids.next(), self.roots)
        }
        defer { lock.guarded { reserved -= 1 } }
        let directory = store.directory(of: id)
        _ = try JobSubmission.configuration(
            yaml: yaml, file: file, workingDirectory: workingDirectory, jobDirectory: directory, roots: roots)
        let record = JobRecord(
            id: id, name: name, file: file, priority: priority, submittedAt: Date(), workingDirectory: workingDirectory,
            directory: directory)
        try store.create(record, yaml: yaml)
        store.appendLog(id, "submitted as \(file)" + (name.map { " (\($0))" } ?? "") + ", priority \(priority)")
        lock.guarded {
            queue.insert(record)
            metrics.recordQueue(queue)
            lock.broadcast()
        }
        metrics.submitted.increment()
        logger.info("job \(id) queued", metadata: ["file": "\(file)", "priority": "\(priority)"])
        return record
    }

    /// All jobs in submission order.
    public func jobs() -> [JobRecord] { lock.guarded { queue.all } }

    /// One job.
    ///
    /// - Throws: `DaemonError.notFound`.
    public func job(_ id: String) throws -> JobRecord {
        guard let record = lock.guarded({ queue.records[id] }) else {
            throw DaemonError(.notFound, "no job \(id)")
        }
        return record
    }

    /// Jobs waiting to run.
    public var waitingCount: Int { lock.guarded { queue.waitingCount } }

    /// Cancels a job: a waiting one at once (durably), a running one after its current step
    /// (waiting up to `timeout` for it to end). Returns the record and whether it has ended.
    ///
    /// - Throws: `notFound`, `conflict` for a job that already ended, `internal` for I/O.
    public func cancel(_ id: String, timeout: Duration = .seconds(60)) async throws -> (record: JobRecord, ended: Bool) {
        let action: JobQueue.CancelAction = try lock.guarded {
            var next = queue
            guard let action = next.cancel(id, now: Date()) else { throw DaemonError(.notFound, "no job \(id)") }
            switch action {
            case .persist(let record):
                // Durable first: the in-memory queue changes only once job.json says cancelled.
                try store.save(record)
                queue = next
                metrics.recordQueue(queue)
            case .stopRun:
                cancelRequested.insert(id)
                control?.requestStop()
            case .alreadyEnded(let state):
                throw DaemonError(.conflict, "job \(id) already \(state.rawValue)")
            }
            return action
        }
        if case .persist(let record) = action {
            store.appendLog(id, "cancelled while queued")
            logger.info("job \(id) cancelled while queued")
            return (record, true)
        }
        logger.info("job \(id): cancel requested, stopping after the current step")
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let record = try job(id)
            if record.state.isTerminal || clock.now >= deadline { return (record, record.state.isTerminal) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Applies a reloaded configuration: queue limit, checkpoint policy (from the next job
    /// start), data roots, `start_jobs`, log level and testing delay take effect; a changed
    /// `state_dir` or `listen` needs a restart and is reported in the returned notes.
    public func reload(_ new: DaemonConfig) -> [String] {
        var notes: [String] = []
        lock.guarded {
            if new.stateDirectory != config.stateDirectory {
                notes.append("state_dir changed to \(new.stateDirectory): takes effect after a restart")
            }
            if new.listen != config.listen { notes.append("listen changed: takes effect after a restart") }
            var applied = new
            applied.stateDirectory = config.stateDirectory
            applied.listen = config.listen
            config = applied
            queue.limit = new.queueLimit
            roots = DataRoots(new.allowedDataRoots)
            notes += roots.unusable.map { "allowed data root unusable: \($0)" }
            lock.broadcast()
        }
        return notes
    }

    /// The configuration in force.
    public var currentConfig: DaemonConfig { lock.guarded { config } }

    /// One line for `STATUS=`: the running job with its epoch and cost, or idle.
    public var statusLine: String {
        lock.guarded {
            let waiting = queue.waitingCount
            guard let id = queue.running, let record = queue.records[id] else {
                return "idle, \(waiting) waiting" + (config.startJobs ? "" : " (start_jobs: false)")
            }
            guard let p = record.progress else { return "job \(id): starting, \(waiting) waiting" }
            return "job \(id): epoch \(p.epoch)/\(p.totalEpochs), step \(p.stepInEpoch)/\(p.stepsPerEpoch), "
                + String(format: "cost %.5g", p.cost) + ", \(waiting) waiting"
        }
    }

    // MARK: - Lifecycle

    /// Starts the training worker on its own thread (never the Swift-concurrency pool).
    public func startWorker() {
        lock.guarded { workerStarted = true }
        let thread = Thread { [self] in workerLoop() }
        thread.name = "mlpd-training"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Stops the daemon's work: no new submissions, the running job stops after its current
    /// step with a checkpoint (and stays `running` on disk, to resume at the next start).
    /// Returns when the worker has exited.
    public func stop() async {
        lock.guarded {
            stopping = true
            control?.requestStop()
            lock.broadcast()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = lock.guarded {
                if workerExited || !workerStarted { return true }
                exitWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

extension NSCondition {
    /// Runs `body` holding the lock.
    func guarded<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
