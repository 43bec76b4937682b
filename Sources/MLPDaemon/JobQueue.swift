import Foundation

/// The queue's bookkeeping, with no I/O: which jobs exist, which wait in what order, which one
/// runs. Operations change the state and return what the caller must do (persist a record,
/// stop a run); `Daemon` performs that under its lock, so this type is tested alone.
///
/// Order: jobs found `running` at startup (interrupted by a crash or stop) resume first, in
/// identifier order; then queued jobs by priority (higher first), then submission order
/// (identifiers sort by submission time).
public struct JobQueue: Sendable {
    /// Every known job by identifier.
    public private(set) var records: [String: JobRecord] = [:]
    /// The job now running, if any.
    public private(set) var running: String?
    /// The most jobs that may wait (`queue_limit`).
    public var limit: Int
    private var interrupted: [String] = []
    private var pending: [String] = []

    /// What `cancel` asks the caller to do.
    public enum CancelAction: Equatable, Sendable {
        /// The job was waiting and is now cancelled: persist this record, then acknowledge.
        case persist(JobRecord)
        /// The job is running: ask its run to stop, then wait for it to end.
        case stopRun
        /// The job had already ended in this state.
        case alreadyEnded(JobState)
    }

    /// A queue over recovered records: queued ones wait, running ones are to be resumed.
    public init(records: [JobRecord], limit: Int) {
        self.limit = limit
        for record in records {
            self.records[record.id] = record
            switch record.state {
            case .queued: pending.append(record.id)
            case .running: interrupted.append(record.id)
            default: break
            }
        }
        interrupted.sort()
        pending.sort(by: precedes)
    }

    /// Jobs waiting to run (queued, and interrupted ones not yet resumed).
    public var waitingCount: Int { pending.count + interrupted.count }

    /// How many jobs are in each state (every state present, zeros included).
    public var countsByState: [JobState: Int] {
        var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for record in records.values { counts[record.state, default: 0] += 1 }
        return counts
    }

    /// All jobs in identifier (submission) order.
    public var all: [JobRecord] { records.keys.sorted().map { records[$0]! } }

    /// Throws `queueFull` when another job would exceed `limit`, counting `reserving` jobs that
    /// are being recorded and not yet inserted.
    public func checkCapacity(reserving: Int = 0) throws {
        guard pending.count + reserving < limit else {
            throw DaemonError(.queueFull, "the queue is full (\(pending.count) jobs waiting, queue_limit \(limit)); try again later")
        }
    }

    /// Adds a newly submitted (already persisted) job.
    public mutating func insert(_ record: JobRecord) {
        precondition(record.state == .queued && records[record.id] == nil, "insert takes a new queued job")
        records[record.id] = record
        let index = pending.firstIndex { !precedes($0, record.id) } ?? pending.endIndex
        pending.insert(record.id, at: index)
    }

    /// Takes the next job to run and marks it running (started now); `resume` is true for a
    /// job interrupted while running. The caller persists the returned record before training.
    public mutating func startNext(now: Date) -> (record: JobRecord, resume: Bool)? {
        precondition(running == nil, "one job at a time")
        let resume: Bool
        let id: String
        if !interrupted.isEmpty {
            (id, resume) = (interrupted.removeFirst(), true)
        } else if !pending.isEmpty {
            (id, resume) = (pending.removeFirst(), false)
        } else {
            return nil
        }
        var record = records[id]!
        record.state = .running
        record.startedAt = now
        record.starts += 1
        record.error = nil
        records[id] = record
        running = id
        return (record, resume)
    }

    /// Replaces the running job's record (progress, epochs).
    public mutating func update(_ record: JobRecord) {
        precondition(records[record.id] != nil)
        records[record.id] = record
    }

    /// Ends the running job in `record.state`, or puts it back as interrupted when the record is
    /// still `running` (the daemon is stopping and it will resume next start).
    public mutating func finishRunning(_ record: JobRecord) {
        precondition(running == record.id, "only the running job finishes")
        records[record.id] = record
        running = nil
        if record.state == .running { interrupted.insert(record.id, at: 0) }
    }

    /// Cancels job `id` if it has not ended; nil when there is no such job.
    public mutating func cancel(_ id: String, now: Date) -> CancelAction? {
        guard var record = records[id] else { return nil }
        if record.state.isTerminal { return .alreadyEnded(record.state) }
        if running == id { return .stopRun }
        pending.removeAll { $0 == id }
        interrupted.removeAll { $0 == id }
        record.state = .cancelled
        record.finishedAt = now
        records[id] = record
        return .persist(record)
    }

    /// Queue order: higher priority first, then older identifier.
    private func precedes(_ a: String, _ b: String) -> Bool {
        let (pa, pb) = (records[a]!.priority, records[b]!.priority)
        return pa != pb ? pa > pb : a < b
    }
}
